namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// Envoy's per-cluster connection stats (cluster.&lt;name&gt;.upstream_cx_*), counted by TCP outbound listeners. Connect
/// failures, overflow and outlier ejections are the cluster's shared counters in <see cref="Cluster"/>, so HTTP and
/// TCP traffic to one service add up in the same places, as in Envoy.
/// </summary>
public sealed class TcpClusterStats
{
    public TcpClusterStats(StatsRegistry registry, string cluster)
    {
        var prefix = $"cluster.{cluster}.";
        var scope = ("cluster_name", cluster);
        Cluster = registry.Cluster(cluster);
        ConnectionsTotal = registry.Counter(StatName.Of(prefix + "upstream_cx_total", "meshdev_cluster_upstream_cx_total", scope));
        ConnectionsActive = registry.Gauge(StatName.Of(prefix + "upstream_cx_active", "meshdev_cluster_upstream_cx_active", scope));
        BytesSent = registry.Counter(StatName.Of(prefix + "upstream_cx_tx_bytes_total", "meshdev_cluster_upstream_cx_tx_bytes_total", scope));
        BytesReceived = registry.Counter(StatName.Of(prefix + "upstream_cx_rx_bytes_total", "meshdev_cluster_upstream_cx_rx_bytes_total", scope));
        ConnectTimeouts = registry.Counter(StatName.Of(prefix + "upstream_cx_connect_timeout", "meshdev_cluster_upstream_cx_connect_timeout", scope));
        NoHealthyUpstream = registry.Counter(StatName.Of(prefix + "upstream_cx_none_healthy", "meshdev_cluster_upstream_cx_none_healthy", scope));
        ConnectTime = registry.Histogram(StatName.Of(prefix + "upstream_cx_connect_ms", "meshdev_cluster_upstream_cx_connect_ms", scope));
    }

    /// <summary>The cluster's shared stats: upstream_cx_connect_fail, upstream_cx_overflow, outlier_detection.*.</summary>
    public ClusterStats Cluster { get; }

    /// <summary>Connections made to an endpoint (connect succeeded).</summary>
    public Counter ConnectionsTotal { get; }

    public Gauge ConnectionsActive { get; }

    /// <summary>Bytes sent to the cluster's endpoints (what the downstream wrote).</summary>
    public Counter BytesSent { get; }

    /// <summary>Bytes received from the cluster's endpoints (what the downstream read).</summary>
    public Counter BytesReceived { get; }

    /// <summary>Connects that ran out of tcp.connectTimeout; also counted in upstream_cx_connect_fail, as Envoy does.</summary>
    public Counter ConnectTimeouts { get; }

    /// <summary>Envoy's UH for a connection: no healthy endpoint to connect to, so the downstream is closed.</summary>
    public Counter NoHealthyUpstream { get; }

    public Histogram ConnectTime { get; }
}

/// <summary>Stats of a TCP service's inbound listener (inbound.&lt;service&gt;.cx_*), the app side of the hop.</summary>
public sealed class TcpInboundStats
{
    public TcpInboundStats(StatsRegistry registry, string service)
    {
        var prefix = $"inbound.{service}.";
        var scope = ("service", service);
        ConnectionsTotal = registry.Counter(StatName.Of(prefix + "cx_total", "meshdev_inbound_cx_total", scope));
        ConnectionsActive = registry.Gauge(StatName.Of(prefix + "cx_active", "meshdev_inbound_cx_active", scope));
        BytesReceived = registry.Counter(StatName.Of(prefix + "cx_rx_bytes_total", "meshdev_inbound_cx_rx_bytes_total", scope));
        BytesSent = registry.Counter(StatName.Of(prefix + "cx_tx_bytes_total", "meshdev_inbound_cx_tx_bytes_total", scope));
        AppConnectFailures = registry.Counter(StatName.Of(prefix + "cx_connect_fail", "meshdev_inbound_cx_connect_fail", scope));
    }

    /// <summary>Connections accepted from peers.</summary>
    public Counter ConnectionsTotal { get; }

    public Gauge ConnectionsActive { get; }

    /// <summary>Bytes received from peers (and written to the app).</summary>
    public Counter BytesReceived { get; }

    /// <summary>Bytes sent to peers (what the app wrote).</summary>
    public Counter BytesSent { get; }

    /// <summary>Accepted connections closed because the app could not be reached.</summary>
    public Counter AppConnectFailures { get; }
}
