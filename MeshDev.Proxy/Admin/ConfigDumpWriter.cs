using System.Text.Json.Serialization;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// /config_dump: who the proxy is, the snapshot it serves with, its listeners and the last refused push.
/// Shape: {"proxyId","mode","service","labels","identity","version","appliedAt","snapshot":{"clusters":[{"name","loadBalancer",
/// "protocol","tls","endpoints":[{"proxyId","address","labels","healthy","identity","mtls","ejectedUntil"?,"ejections"?}],"subsets":[{"name",
/// "labels","loadBalancer","healthyEndpoints","circuitBreaker","outlierDetection"?,"consistentHash"?}],"circuitBreaker":
/// {"maxRequests","maxPending","maxRetries","activeRequests","pendingRequests"},"outlierDetection"?,"consistentHash"?}],"routeTables":[see RouteTableJson],"inboundSecurity":{see InboundPolicyJson}},"listeners":[{"name","address","protocol",
/// "direction","service","mtlsMode"? (inbound: the mode in force, see TransportSecurityJson)}],"lastNack":{"version","reason"}|null}.
/// </summary>
public static class ConfigDumpWriter
{
    public static byte[] Write(ProxyOptions options, RuntimeSnapshot snapshot, RejectedSnapshot? lastRejected, IEnumerable<ListenerDescription> listeners) =>
        AdminJson.Serialize(ConfigDumpJson.From(options, snapshot, lastRejected, listeners), AdminJsonContext.Default.ConfigDumpJson, AdminJson.Indented);

    /// <summary>Istio's DestinationRule names for the policies.</summary>
    public static string PolicyName(LoadBalancerPolicy policy) => policy switch
    {
        LoadBalancerPolicy.RoundRobin => "ROUND_ROBIN",
        LoadBalancerPolicy.Random => "RANDOM",
        LoadBalancerPolicy.Passthrough => "PASSTHROUGH",
        _ => "LEAST_REQUEST",
    };

    internal static JsonMembers<string> Labels(IReadOnlyDictionary<string, string> labels) =>
        new(labels.OrderBy(l => l.Key, StringComparer.Ordinal));
}

public sealed record ConfigDumpJson(
    string ProxyId,
    string Mode,
    string Service,
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> Labels,
    string? Identity,
    string? Version,
    string? AppliedAt,
    ConfigDumpSnapshotJson Snapshot,
    IReadOnlyList<ListenerJson> Listeners,
    RejectedSnapshotJson? LastNack)
{
    public static ConfigDumpJson From(ProxyOptions options, RuntimeSnapshot snapshot, RejectedSnapshot? lastRejected, IEnumerable<ListenerDescription> listeners) => new(
        options.ProxyId,
        options.Mode == ProxyMode.Sidecar ? "sidecar" : "gateway",
        options.Service,
        ConfigDumpWriter.Labels(options.Labels),
        TransportSecurityJson.ProxyIdentity(options),
        snapshot.Version,
        snapshot.AppliedAt?.ToString("O"),
        new ConfigDumpSnapshotJson(
            [.. snapshot.Clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => ClusterJson.From(options, snapshot, c))],
            [.. snapshot.RouteTables.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(RouteTableJson.From)],
            InboundPolicyJson.From(snapshot.InboundPolicy, snapshot.Security)),
        [.. listeners.Where(l => l.Direction != ListenerDirection.Admin).OrderBy(l => l.Name, StringComparer.Ordinal)
            .Select(l => new ListenerJson(l.Name, l.Address, ServiceProtocols.ToConfigValue(l.Protocol), l.Direction.ToString().ToLowerInvariant(), l.Service,
                TransportSecurityJson.ListenerMtlsMode(options, snapshot, l)))],
        lastRejected is null ? null : new RejectedSnapshotJson(lastRejected.Version, lastRejected.Reason));
}

public sealed record ConfigDumpSnapshotJson(IReadOnlyList<ClusterJson> Clusters, IReadOnlyList<RouteTableJson> RouteTables, InboundPolicyJson InboundSecurity);

public sealed record ClusterJson(
    string Name,
    string LoadBalancer,
    string Protocol,
    string Tls,
    IReadOnlyList<EndpointJson> Endpoints,
    IReadOnlyList<SubsetJson> Subsets,
    CircuitBreakerJson CircuitBreaker,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OutlierDetectionJson? OutlierDetection,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ConsistentHashJson? ConsistentHash)
{
    public static ClusterJson From(ProxyOptions options, RuntimeSnapshot snapshot, UpstreamCluster cluster)
    {
        var policy = TrafficPolicyJson.From(cluster.All);
        return new ClusterJson(
            cluster.Name,
            ConfigDumpWriter.PolicyName(cluster.Policy),
            cluster.Protocol == ServiceProtocol.Unspecified ? "unspecified" : ServiceProtocols.ToConfigValue(cluster.Protocol),
            TransportSecurityJson.ClusterTls(snapshot, cluster),
            [.. cluster.Endpoints.Select(e => EndpointJson.From(options, snapshot, e))],
            [.. cluster.Subsets.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(SubsetJson.From)],
            policy.CircuitBreaker,
            policy.OutlierDetection,
            policy.ConsistentHash);
    }
}

public sealed record EndpointJson(
    string ProxyId,
    string Address,
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> Labels,
    bool Healthy,
    string? Identity,
    bool Mtls,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? EjectedUntil,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Ejections)
{
    public static EndpointJson From(ProxyOptions options, RuntimeSnapshot snapshot, UpstreamEndpoint endpoint)
    {
        var ejectedUntil = endpoint.Outlier.EjectedUntil(DateTime.UtcNow);
        return new EndpointJson(
            endpoint.ProxyId,
            endpoint.Address,
            ConfigDumpWriter.Labels(endpoint.Labels),
            endpoint.Healthy,
            TransportSecurityJson.EndpointIdentity(snapshot, endpoint),
            TransportSecurityJson.EndpointMtls(options, snapshot, endpoint),
            ejectedUntil is { } until ? new DateTimeOffset(until) : null,
            ejectedUntil is null ? null : endpoint.Outlier.Ejections);
    }
}

public sealed record SubsetJson(
    string Name,
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> Labels,
    string LoadBalancer,
    int HealthyEndpoints,
    CircuitBreakerJson CircuitBreaker,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OutlierDetectionJson? OutlierDetection,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ConsistentHashJson? ConsistentHash)
{
    public static SubsetJson From(EndpointSet subset)
    {
        var policy = TrafficPolicyJson.From(subset);
        return new SubsetJson(subset.Name, ConfigDumpWriter.Labels(subset.Labels), ConfigDumpWriter.PolicyName(subset.Policy),
            subset.HealthyEndpoints.Length, policy.CircuitBreaker, policy.OutlierDetection, policy.ConsistentHash);
    }
}

/// <summary>The limits and policies in effect for a cluster or subset, Envoy's defaults filled in.</summary>
internal sealed record TrafficPolicyJson(CircuitBreakerJson CircuitBreaker, OutlierDetectionJson? OutlierDetection, ConsistentHashJson? ConsistentHash)
{
    public static TrafficPolicyJson From(EndpointSet set) => new(
        new CircuitBreakerJson(set.Limits.MaxRequests, set.Limits.MaxPending, set.Limits.MaxRetries, set.Breaker.ActiveRequests, set.Breaker.PendingRequests),
        set.Outlier?.Policy is { } outlier
            ? new OutlierDetectionJson(outlier.Consecutive5xx, outlier.ConsecutiveGatewayErrors, (long)outlier.BaseEjectionTime.TotalMilliseconds,
                outlier.MaxEjectionPercent, outlier.MinHealthPercent)
            : null,
        set.RingHash?.Key is { } key
            ? new ConsistentHashJson(
                key.Kind switch
                {
                    MeshDev.Core.Discovery.ConsistentHash.KeyOneofCase.HttpHeaderName => "header",
                    MeshDev.Core.Discovery.ConsistentHash.KeyOneofCase.HttpCookieName => "cookie",
                    MeshDev.Core.Discovery.ConsistentHash.KeyOneofCase.HttpQueryParameterName => "query",
                    _ => "sourceIp",
                },
                key.Name,
                key.IssuedCookie is { } cookie ? (long)cookie.Ttl.TotalMilliseconds : null,
                key.IssuedCookie?.Path)
            : null);
}

public sealed record CircuitBreakerJson(int MaxRequests, int MaxPending, int MaxRetries, int ActiveRequests, int PendingRequests);

public sealed record OutlierDetectionJson(
    int Consecutive5xxErrors, int ConsecutiveGatewayErrors, long BaseEjectionTimeMs, int MaxEjectionPercent, int MinHealthPercent);

public sealed record ConsistentHashJson(
    string Key,
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CookieTtlMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CookiePath);

public sealed record ListenerJson(
    string Name,
    string Address,
    string Protocol,
    string Direction,
    string Service,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MtlsMode);

public sealed record RejectedSnapshotJson(string Version, string Reason);
