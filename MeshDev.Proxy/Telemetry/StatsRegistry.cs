using System.Collections.Concurrent;

namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// Every statistic the proxy keeps, by name. Stats are created once (per cluster, per listener) and then updated
/// through direct references, so the hot path never looks anything up here.
/// </summary>
public sealed class StatsRegistry
{
    private readonly ConcurrentDictionary<string, Stat> _stats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClusterStats> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InboundStats> _inbound = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RouteStats> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TcpClusterStats> _tcpClusters = new(StringComparer.Ordinal);

    public StatsRegistry()
    {
        ControlPlane = new ControlPlaneStats(this);
        Gateway = new GatewayStats(this);
    }

    public ControlPlaneStats ControlPlane { get; }

    public GatewayStats Gateway { get; }

    public ClusterStats Cluster(string name) => _clusters.GetOrAdd(name, static (n, registry) => new ClusterStats(registry, n), this);

    /// <summary>A cluster's connection stats, for TCP listeners; its other stats are <see cref="Cluster"/>'s.</summary>
    public TcpClusterStats TcpCluster(string name) => _tcpClusters.GetOrAdd(name, static (n, registry) => new TcpClusterStats(registry, n), this);

    public RouteStats Route(string table) => _routes.GetOrAdd(table, static (t, registry) => new RouteStats(registry, t), this);

    public InboundStats Inbound(string service) => _inbound.GetOrAdd(service, static (s, registry) => new InboundStats(registry, s), this);

    public Counter Counter(StatName name) => GetOrAdd(name, static n => new Counter(n));

    public Gauge Gauge(StatName name) => GetOrAdd(name, static n => new Gauge(n));

    public Histogram Histogram(StatName name) => GetOrAdd(name, static n => new Histogram(n));

    /// <summary>All stats ordered by name, as /stats lists them.</summary>
    public IReadOnlyList<Stat> All() => _stats.Values.OrderBy(s => s.Name.Name, StringComparer.Ordinal).ToArray();

    private T GetOrAdd<T>(StatName name, Func<StatName, T> create) where T : Stat
    {
        var stat = _stats.GetOrAdd(name.Name, static (_, state) => state.create(state.name), (create, name));
        return stat as T ?? throw new InvalidOperationException($"Stat '{name.Name}' already exists as a {stat.GetType().Name}.");
    }
}
