using MeshDev.Core.Config;
using MeshDev.Core.Config.Security;

namespace MeshDev.Cli.Manifests;

/// <summary>An Istio kind as meshctl names it: the API's kind, its API group, and the names a user may type.</summary>
public sealed record ResourceKind(string Kind, string Group, params string[] Aliases)
{
    /// <summary>kubectl's "virtualservice.networking.istio.io" form.</summary>
    public string QualifiedName => $"{Kind.ToLowerInvariant()}.{Group}";
}

/// <summary>The kinds MeshDev reads (<see cref="ConfigKinds.Kinds"/>, in that order) with the names kubectl gives them.</summary>
public static class ResourceKinds
{
    // The plural and short names kubectl accepts for Istio's kinds; the lower-case kind is accepted too.
    private static readonly Dictionary<string, (string Plural, string Short)> KubectlNames = new(StringComparer.Ordinal)
    {
        [VirtualServiceResource.KindName] = ("virtualservices", "vs"),
        [DestinationRuleResource.KindName] = ("destinationrules", "dr"),
        [GatewayResource.KindName] = ("gateways", "gw"),
        [PeerAuthenticationResource.KindName] = ("peerauthentications", "pa"),
        [AuthorizationPolicyResource.KindName] = ("authorizationpolicies", "ap"),
        [RequestAuthenticationResource.KindName] = ("requestauthentications", "ra"),
    };

    public static IReadOnlyList<ResourceKind> All { get; } =
        [.. ConfigKinds.Kinds.Select(kind => new ResourceKind(
            kind, ConfigKinds.ApiGroupOf(kind), kind.ToLowerInvariant(), KubectlNames[kind].Plural, KubectlNames[kind].Short))];

    /// <summary>The kinds `get` and `delete` accept by name, as listed in help.</summary>
    public static string Names => string.Join(", ", All.Select(k => string.Join("/", k.Aliases.Skip(1))));

    public static ResourceKind? Find(string name) =>
        All.FirstOrDefault(k => k.Kind.Equals(name, StringComparison.OrdinalIgnoreCase)
            || k.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase)
            || k.QualifiedName.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The kind a user typed, or an error that lists the ones meshctl knows.</summary>
    public static ResourceKind Parse(string name) =>
        Find(name) ?? throw new MeshctlException(
            $"unknown resource kind '{name}'; use one of {Names}", ExitCodes.UsageOrUnreachable);

    /// <summary>The kubectl-style name of a resource of any kind, known or not.</summary>
    public static string Qualified(string kind, string name) =>
        $"{Find(kind)?.QualifiedName ?? kind.ToLowerInvariant()}/{name}";
}
