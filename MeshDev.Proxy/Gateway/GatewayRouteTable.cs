using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Gateway;

/// <summary>The gateway's routes in their configured order; the first whose path matches wins, as in Istio.</summary>
public sealed class GatewayRouteTable(IEnumerable<GatewayRouteOptions> routes, StatsRegistry stats)
{
    private readonly GatewayRoute[] _routes = routes
        .OrderBy(r => r.Index)
        .Select(r => new GatewayRoute(r.Exact, r.Prefix, r.Service, stats.Cluster(r.Service)))
        .ToArray();

    public IReadOnlyList<GatewayRoute> Routes => _routes;

    public GatewayRoute? Match(string path)
    {
        foreach (var route in _routes)
        {
            if (route.Matches(path))
            {
                return route;
            }
        }

        return null;
    }
}

/// <summary>
/// Path match like Istio's HTTPMatchRequest uri: exact is a whole, case-sensitive comparison; prefix is a plain
/// string prefix ("/api" also matches "/apis"), which is what Envoy does with it.
/// </summary>
public sealed record GatewayRoute(string? Exact, string? Prefix, string Service, ClusterStats Stats)
{
    public bool Matches(string path) =>
        Exact is not null
            ? string.Equals(path, Exact, StringComparison.Ordinal)
            : path.StartsWith(Prefix!, StringComparison.Ordinal);
}
