using System.Text.Json.Nodes;

namespace MeshDev.Core.Config;

/// <summary>Identifies a resource in the config: kind, namespace and name, as kubectl does.</summary>
public sealed record ResourceKey(string Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

public sealed class ResourceMetadata
{
    public required string Name { get; init; }
    public string Namespace { get; init; } = MeshEnvironment.DefaultNamespace;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// One Istio resource as it was read: its envelope, its spec both as given (for display) and typed (for
/// validation and compilation), and where each field stood in its source so every message can name a line.
/// </summary>
public abstract class ConfigResource
{
    public required string ApiVersion { get; init; }
    public required ResourceMetadata Metadata { get; init; }
    /// <summary>File path or "api".</summary>
    public required string Source { get; init; }
    /// <summary>Line where the resource's document starts.</summary>
    public required int Line { get; init; }
    /// <summary>The spec exactly as given, for GET and config dumps.</summary>
    public required JsonObject RawSpec { get; init; }
    /// <summary>Field path (e.g. "spec.http[0].route[1].weight") to its line and column.</summary>
    public required IReadOnlyDictionary<string, (int Line, int Column)> FieldLocations { get; init; }

    public abstract string Kind { get; }

    public ResourceKey Key => new(Kind, Metadata.Namespace, Metadata.Name);

    /// <summary>Where a field stands; a field that is absent is located at its nearest present parent.</summary>
    public (int Line, int Column) Locate(string? fieldPath)
    {
        for (var path = fieldPath; !string.IsNullOrEmpty(path); path = ConfigPaths.Parent(path))
        {
            if (FieldLocations.TryGetValue(path, out var location))
            {
                return location;
            }
        }

        return (Line, 1);
    }

    /// <summary>True when both say the same (the source may differ): apply reports such a resource "unchanged".</summary>
    public bool SameContentAs(ConfigResource other) =>
        Kind == other.Kind
        && ApiVersion == other.ApiVersion
        && Metadata.Labels.Count == other.Metadata.Labels.Count && !Metadata.Labels.Except(other.Metadata.Labels).Any()
        && Metadata.Annotations.Count == other.Metadata.Annotations.Count && !Metadata.Annotations.Except(other.Metadata.Annotations).Any()
        && JsonNode.DeepEquals(RawSpec, other.RawSpec);
}

public sealed class VirtualServiceResource : ConfigResource
{
    public const string KindName = "VirtualService";
    public override string Kind => KindName;
    public required VirtualServiceSpec Spec { get; init; }
}

public sealed class DestinationRuleResource : ConfigResource
{
    public const string KindName = "DestinationRule";
    public override string Kind => KindName;
    public required DestinationRuleSpec Spec { get; init; }
}

public sealed class GatewayResource : ConfigResource
{
    public const string KindName = "Gateway";
    public override string Kind => KindName;
    public required GatewaySpec Spec { get; init; }
}

public static class ConfigKinds
{
    public const string ApiGroup = "networking.istio.io";
    public const string SecurityApiGroup = "security.istio.io";
    public static readonly IReadOnlyList<string> NetworkingApiVersions = ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"];
    public static readonly IReadOnlyList<string> SecurityApiVersions = ["security.istio.io/v1", "security.istio.io/v1beta1"];
    public static readonly IReadOnlyList<string> ApiVersions = [.. NetworkingApiVersions, .. SecurityApiVersions];
    public static readonly IReadOnlyList<string> SecurityKinds =
        [Security.PeerAuthenticationResource.KindName, Security.AuthorizationPolicyResource.KindName, Security.RequestAuthenticationResource.KindName];
    public static readonly IReadOnlyList<string> Kinds = [VirtualServiceResource.KindName, DestinationRuleResource.KindName, GatewayResource.KindName, .. SecurityKinds];

    /// <summary>The API group a kind belongs to.</summary>
    public static string ApiGroupOf(string kind) => SecurityKinds.Contains(kind) ? SecurityApiGroup : ApiGroup;

    /// <summary>The apiVersions a kind is read in: its own API group's.</summary>
    public static IReadOnlyList<string> ApiVersionsOf(string kind) => SecurityKinds.Contains(kind) ? SecurityApiVersions : NetworkingApiVersions;

    /// <summary>The canonical spelling of a kind given in any case ("virtualservice"), or null.</summary>
    public static string? Canonical(string kind) =>
        Kinds.FirstOrDefault(k => string.Equals(k, kind, StringComparison.OrdinalIgnoreCase));
}

internal static class ConfigPaths
{
    public static string? Parent(string path)
    {
        if (path.EndsWith(']'))
        {
            return path[..path.LastIndexOf('[')];
        }

        var dot = path.LastIndexOf('.');
        return dot < 0 ? null : path[..dot];
    }
}
