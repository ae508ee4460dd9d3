namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>What the downward API tells a pod's containers about their pod.</summary>
public sealed record PodIdentity(
    string Name,
    string Namespace,
    string Uid,
    string ServiceAccountName,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    string Ip,
    string HostIp)
{
    /// <summary>The one node the stand-in cluster has.</summary>
    public const string NodeName = "meshdev-pods-node";
}
