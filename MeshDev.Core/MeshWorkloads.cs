namespace MeshDev.Core;

/// <summary>
/// How a workload and its proxy are named: a sidecar's proxy id is its workload's name with "-sidecar" after it, so a
/// proxy that sees only another proxy's id (a snapshot endpoint) still knows the workload behind it.
/// </summary>
public static class MeshWorkloads
{
    public const string SidecarSuffix = "-sidecar";

    public static string SidecarProxyId(string workload) => workload + SidecarSuffix;

    /// <summary>The workload a proxy id stands for: a sidecar's without its suffix, any other id as it is.</summary>
    public static string FromProxyId(string proxyId) =>
        proxyId.Length > SidecarSuffix.Length && proxyId.EndsWith(SidecarSuffix, StringComparison.Ordinal)
            ? proxyId[..^SidecarSuffix.Length]
            : proxyId;
}
