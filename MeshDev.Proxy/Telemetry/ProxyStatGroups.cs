namespace MeshDev.Proxy.Telemetry;

/// <summary>Envoy's per-cluster upstream stats (cluster.&lt;name&gt;.*), counted by outbound listeners and gateway routes.</summary>
public sealed class ClusterStats
{
    public ClusterStats(StatsRegistry registry, string cluster)
    {
        var prefix = $"cluster.{cluster}.";
        var scope = ("cluster_name", cluster);
        RequestsTotal = registry.Counter(StatName.Of(prefix + "upstream_rq_total", "meshdev_cluster_upstream_rq_total", scope));
        ConnectFailures = registry.Counter(StatName.Of(prefix + "upstream_cx_connect_fail", "meshdev_cluster_upstream_cx_connect_fail", scope));
        Retries = registry.Counter(StatName.Of(prefix + "upstream_rq_retry", "meshdev_cluster_upstream_rq_retry", scope));
        NoHealthyUpstream = registry.Counter(StatName.Of(prefix + "upstream_rq_no_healthy_upstream", "meshdev_cluster_upstream_rq_no_healthy_upstream", scope));
        Timeouts = registry.Counter(StatName.Of(prefix + "upstream_rq_timeout", "meshdev_cluster_upstream_rq_timeout", scope));
        PerTryTimeouts = registry.Counter(StatName.Of(prefix + "upstream_rq_per_try_timeout", "meshdev_cluster_upstream_rq_per_try_timeout", scope));
        RetrySuccesses = registry.Counter(StatName.Of(prefix + "upstream_rq_retry_success", "meshdev_cluster_upstream_rq_retry_success", scope));
        RetryLimitExceeded = registry.Counter(StatName.Of(prefix + "upstream_rq_retry_limit_exceeded", "meshdev_cluster_upstream_rq_retry_limit_exceeded", scope));
        PendingOverflow = registry.Counter(StatName.Of(prefix + "upstream_rq_pending_overflow", "meshdev_cluster_upstream_rq_pending_overflow", scope));
        ConnectionOverflow = registry.Counter(StatName.Of(prefix + "upstream_cx_overflow", "meshdev_cluster_upstream_cx_overflow", scope));
        RetryOverflow = registry.Counter(StatName.Of(prefix + "upstream_rq_retry_overflow", "meshdev_cluster_upstream_rq_retry_overflow", scope));
        OutlierEjectionsEnforced = registry.Counter(StatName.Of(prefix + "outlier_detection.ejections_enforced_total", "meshdev_cluster_outlier_detection_ejections_enforced_total", scope));
        OutlierConsecutive5xx = registry.Counter(StatName.Of(prefix + "outlier_detection.ejections_enforced_consecutive_5xx", "meshdev_cluster_outlier_detection_ejections_enforced_consecutive_5xx", scope));
        OutlierConsecutiveGatewayFailure = registry.Counter(StatName.Of(prefix + "outlier_detection.ejections_enforced_consecutive_gateway_failure", "meshdev_cluster_outlier_detection_ejections_enforced_consecutive_gateway_failure", scope));
        OutlierEjectionsActive = registry.Gauge(StatName.Of(prefix + "outlier_detection.ejections_active", "meshdev_cluster_outlier_detection_ejections_active", scope));
        RequestTime = registry.Histogram(StatName.Of(prefix + "upstream_rq_time", "meshdev_cluster_upstream_rq_time", scope));
        ResponseCodes = new ResponseCodeStats(registry, prefix + "upstream_rq_", "meshdev_cluster_upstream_rq", scope);
        GrpcStatuses = new GrpcStatusStats(registry, cluster);
        RetryOrShadowAbandoned = registry.Counter(StatName.Of(prefix + "retry_or_shadow_abandoned", "meshdev_cluster_retry_or_shadow_abandoned", scope));
    }

    /// <summary>Requests the cluster was asked to serve, once per request whatever the retries.</summary>
    public Counter RequestsTotal { get; }
    public Counter ConnectFailures { get; }
    public Counter Retries { get; }

    /// <summary>Envoy's response flag UH: no healthy endpoint to send to.</summary>
    public Counter NoHealthyUpstream { get; }
    /// <summary>Envoy's response flag UT: the route's timeout expired (504 "upstream request timeout").</summary>
    public Counter Timeouts { get; }

    public Counter PerTryTimeouts { get; }

    /// <summary>Requests that were retried and then got a response the policy did not retry.</summary>
    public Counter RetrySuccesses { get; }

    /// <summary>Requests whose last allowed try still failed in a way the policy would retry.</summary>
    public Counter RetryLimitExceeded { get; }

    /// <summary>Envoy's response flag UO: refused by the circuit breaker because the pending queue was full.</summary>
    public Counter PendingOverflow { get; }

    /// <summary>Requests that found the cluster's connection (or HTTP/2 request) limit reached, queued or refused.</summary>
    public Counter ConnectionOverflow { get; }

    /// <summary>Retries not attempted because max_retries retries were already in flight.</summary>
    public Counter RetryOverflow { get; }

    public Counter OutlierEjectionsEnforced { get; }
    public Counter OutlierConsecutive5xx { get; }
    public Counter OutlierConsecutiveGatewayFailure { get; }
    public Gauge OutlierEjectionsActive { get; }

    public Histogram RequestTime { get; }

    /// <summary>The code the caller received, local replies (503 UH) included.</summary>
    public ResponseCodeStats ResponseCodes { get; }

    /// <summary>The grpc-status the caller received, for gRPC calls.</summary>
    public GrpcStatusStats GrpcStatuses { get; }

    /// <summary>
    /// Envoy's retry_or_shadow_abandoned: requests whose body outgrew the retry buffer while it was being sent, so
    /// they can no longer be retried once a byte of it has gone upstream.
    /// </summary>
    public Counter RetryOrShadowAbandoned { get; }
}

/// <summary>Stats of a sidecar's inbound listener (inbound.&lt;service&gt;.*).</summary>
public sealed class InboundStats
{
    public InboundStats(StatsRegistry registry, string service)
    {
        var prefix = $"inbound.{service}.";
        var scope = ("service", service);
        RequestsTotal = registry.Counter(StatName.Of(prefix + "rq_total", "meshdev_inbound_rq_total", scope));
        RequestTime = registry.Histogram(StatName.Of(prefix + "rq_time", "meshdev_inbound_rq_time", scope));
        ResponseCodes = new ResponseCodeStats(registry, prefix + "rq_", "meshdev_inbound_rq", scope);
    }

    public Counter RequestsTotal { get; }
    public Histogram RequestTime { get; }
    public ResponseCodeStats ResponseCodes { get; }
}

public sealed class ControlPlaneStats(StatsRegistry registry)
{
    public Counter ConnectAttempts { get; } = registry.Counter(StatName.Of("control_plane.connect_attempts", "meshdev_control_plane_connect_attempts"));
    public Counter ConnectFailures { get; } = registry.Counter(StatName.Of("control_plane.connect_failures", "meshdev_control_plane_connect_failures"));
    public Counter SnapshotsApplied { get; } = registry.Counter(StatName.Of("control_plane.snapshots_applied", "meshdev_control_plane_snapshots_applied"));
    public Counter SnapshotsRejected { get; } = registry.Counter(StatName.Of("control_plane.snapshots_rejected", "meshdev_control_plane_snapshots_rejected"));
    public Gauge Connected { get; } = registry.Gauge(StatName.Of("control_plane.connected", "meshdev_control_plane_connected"));
}

/// <summary>Gateway-wide stats; the traffic each route sends is counted under its cluster's stats.</summary>
public sealed class GatewayStats(StatsRegistry registry)
{
    private Counter? _requestsTotal;
    private Counter? _noRoute;

    // Created on first use so that a sidecar's /stats does not list gateway counters.
    public Counter RequestsTotal => _requestsTotal ??= registry.Counter(StatName.Of("gateway.rq_total", "meshdev_gateway_rq_total"));
    public Counter NoRoute => _noRoute ??= registry.Counter(StatName.Of("gateway.no_route", "meshdev_gateway_no_route"));
}

/// <summary>
/// Route decisions of one listener, named by its route table (an outbound service or the gateway's port):
/// route.&lt;name&gt;.no_route (Envoy's NR) and the faults its routes injected (fault.&lt;name&gt;.*).
/// </summary>
public sealed class RouteStats
{
    public RouteStats(StatsRegistry registry, string table)
    {
        var scope = ("route_table", table);
        NoRoute = registry.Counter(StatName.Of($"route.{table}.no_route", "meshdev_route_no_route", scope));
        DelaysInjected = registry.Counter(StatName.Of($"fault.{table}.delays_injected", "meshdev_fault_delays_injected", scope));
        AbortsInjected = registry.Counter(StatName.Of($"fault.{table}.aborts_injected", "meshdev_fault_aborts_injected", scope));
        Mirrored = registry.Counter(StatName.Of($"route.{table}.mirrored", "meshdev_route_mirrored", scope));
        Redirected = registry.Counter(StatName.Of($"route.{table}.redirected", "meshdev_route_redirected", scope));
    }

    /// <summary>Requests answered with a route's redirect.</summary>
    public Counter Redirected { get; }

    /// <summary>Requests a copy of which went to the route's mirror.</summary>
    public Counter Mirrored { get; }

    public Counter NoRoute { get; }

    /// <summary>Envoy's response flag DI.</summary>
    public Counter DelaysInjected { get; }

    /// <summary>Envoy's response flag FI.</summary>
    public Counter AbortsInjected { get; }
}
