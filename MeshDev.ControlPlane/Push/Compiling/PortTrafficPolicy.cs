using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// Resolves a trafficPolicy's portLevelSettings for the one port a MeshDev service has, the way Istio merges them:
/// the entry for the port (the first, if several name it) replaces the policy's loadBalancer, connectionPool,
/// outlierDetection and tls part by part; a part the entry leaves out stays the policy's. Parts are not merged field
/// by field. The proxy then receives one effective policy per cluster and per subset.
/// </summary>
public static class PortTrafficPolicy
{
    /// <param name="port">The service port; null when no instance has told it yet, and then no entry applies.</param>
    /// <returns>The policy in effect on <paramref name="port"/>, without portLevelSettings; null when there is no policy.</returns>
    public static TrafficPolicySpec? ForPort(TrafficPolicySpec? policy, uint? port)
    {
        if (policy is null || policy.PortLevelSettings.Count == 0)
        {
            return policy;
        }

        var entry = port is { } number ? policy.PortLevelSettings.FirstOrDefault(e => e.Port?.Number == number) : null;
        return new TrafficPolicySpec
        {
            LoadBalancer = entry?.LoadBalancer ?? policy.LoadBalancer,
            ConnectionPool = entry?.ConnectionPool ?? policy.ConnectionPool,
            OutlierDetection = entry?.OutlierDetection ?? policy.OutlierDetection,
            Tls = entry?.Tls ?? policy.Tls,
        };
    }
}
