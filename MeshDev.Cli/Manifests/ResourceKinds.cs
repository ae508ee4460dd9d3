namespace MeshDev.Cli.Manifests;

/// <summary>An Istio kind as meshctl names it: the API's kind, its API group, and the names a user may type.</summary>
public sealed record ResourceKind(string Kind, string Group, params string[] Aliases)
{
    /// <summary>kubectl's "virtualservice.networking.istio.io" form.</summary>
    public string QualifiedName => $"{Kind.ToLowerInvariant()}.{Group}";
}

public static class ResourceKinds
{
    public static readonly ResourceKind VirtualService = new("VirtualService", "networking.istio.io", "virtualservice", "virtualservices", "vs");
    public static readonly ResourceKind DestinationRule = new("DestinationRule", "networking.istio.io", "destinationrule", "destinationrules", "dr");
    public static readonly ResourceKind Gateway = new("Gateway", "networking.istio.io", "gateway", "gateways", "gw");
    public static readonly ResourceKind PeerAuthentication = new("PeerAuthentication", "security.istio.io", "peerauthentication", "peerauthentications", "pa");
    public static readonly ResourceKind AuthorizationPolicy = new("AuthorizationPolicy", "security.istio.io", "authorizationpolicy", "authorizationpolicies", "ap");
    public static readonly ResourceKind RequestAuthentication = new("RequestAuthentication", "security.istio.io", "requestauthentication", "requestauthentications", "ra");

    public static IReadOnlyList<ResourceKind> All { get; } =
        [VirtualService, DestinationRule, Gateway, PeerAuthentication, AuthorizationPolicy, RequestAuthentication];

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
