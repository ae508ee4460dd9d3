using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// Any Istio resource for KubernetesClient's strict reader: the envelope is checked field by field, the spec is
/// kept as it is (its schema is checked by @kubernetes-models/istio).
/// </summary>
public sealed class IstioObject : IKubernetesObject<V1ObjectMeta>
{
    public static readonly string[] ApiVersions =
        ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3", "security.istio.io/v1", "security.istio.io/v1beta1"];

    public static readonly string[] Kinds =
        ["Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Sidecar", "PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"];

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public Dictionary<string, object>? Spec { get; set; }
}
