using System.Text.Json.Nodes;

namespace MeshDev.Core.Config;

// Istio's DestinationRule, field for field as Istio names them.

public sealed class DestinationRuleSpec
{
    public string? Host { get; init; }
    public TrafficPolicySpec? TrafficPolicy { get; init; }
    public IReadOnlyList<SubsetSpec> Subsets { get; init; } = [];
    public IReadOnlyList<string> ExportTo { get; init; } = [];
    public JsonNode? WorkloadSelector { get; init; }

    internal static DestinationRuleSpec Read(YamlSpecReader r) => new()
    {
        Host = r.String("host"),
        TrafficPolicy = r.Object("trafficPolicy", TrafficPolicySpec.Read),
        Subsets = r.List("subsets", SubsetSpec.Read),
        ExportTo = r.StringList("exportTo"),
        WorkloadSelector = r.Raw("workloadSelector"),
    };
}

public sealed class SubsetSpec
{
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public TrafficPolicySpec? TrafficPolicy { get; init; }

    internal static SubsetSpec Read(YamlSpecReader r) => new()
    {
        Name = r.String("name"),
        Labels = r.StringMap("labels"),
        TrafficPolicy = r.Object("trafficPolicy", TrafficPolicySpec.Read),
    };
}

public sealed class TrafficPolicySpec
{
    public LoadBalancerSettingsSpec? LoadBalancer { get; init; }
    public ConnectionPoolSpec? ConnectionPool { get; init; }
    public OutlierDetectionSpec? OutlierDetection { get; init; }
    public ClientTlsSettingsSpec? Tls { get; init; }
    public IReadOnlyList<PortTrafficPolicySpec> PortLevelSettings { get; init; } = [];

    internal static TrafficPolicySpec Read(YamlSpecReader r) => new()
    {
        LoadBalancer = r.Object("loadBalancer", LoadBalancerSettingsSpec.Read),
        ConnectionPool = r.Object("connectionPool", ConnectionPoolSpec.Read),
        OutlierDetection = r.Object("outlierDetection", OutlierDetectionSpec.Read),
        Tls = r.Object("tls", ClientTlsSettingsSpec.Read),
        PortLevelSettings = r.List("portLevelSettings", PortTrafficPolicySpec.Read),
    };
}

public sealed class PortTrafficPolicySpec
{
    public PortSelectorSpec? Port { get; init; }
    public LoadBalancerSettingsSpec? LoadBalancer { get; init; }
    public ConnectionPoolSpec? ConnectionPool { get; init; }
    public OutlierDetectionSpec? OutlierDetection { get; init; }
    public ClientTlsSettingsSpec? Tls { get; init; }

    internal static PortTrafficPolicySpec Read(YamlSpecReader r) => new()
    {
        Port = r.Object("port", PortSelectorSpec.Read),
        LoadBalancer = r.Object("loadBalancer", LoadBalancerSettingsSpec.Read),
        ConnectionPool = r.Object("connectionPool", ConnectionPoolSpec.Read),
        OutlierDetection = r.Object("outlierDetection", OutlierDetectionSpec.Read),
        Tls = r.Object("tls", ClientTlsSettingsSpec.Read),
    };
}

public sealed class LoadBalancerSettingsSpec
{
    /// <summary>LEAST_REQUEST (LEAST_CONN), ROUND_ROBIN, RANDOM, PASSTHROUGH, UNSPECIFIED.</summary>
    public string? Simple { get; init; }
    public ConsistentHashSpec? ConsistentHash { get; init; }
    public JsonNode? LocalityLbSetting { get; init; }
    public TimeSpan? WarmupDurationSecs { get; init; }

    internal static LoadBalancerSettingsSpec Read(YamlSpecReader r) => new()
    {
        Simple = r.String("simple"),
        ConsistentHash = r.Object("consistentHash", ConsistentHashSpec.Read),
        LocalityLbSetting = r.Raw("localityLbSetting"),
        WarmupDurationSecs = r.Duration("warmupDurationSecs"),
    };
}

public sealed class ConsistentHashSpec
{
    public string? HttpHeaderName { get; init; }
    public HttpCookieSpec? HttpCookie { get; init; }
    public bool? UseSourceIp { get; init; }
    public string? HttpQueryParameterName { get; init; }
    public JsonNode? RingHash { get; init; }
    public JsonNode? Maglev { get; init; }
    public long? MinimumRingSize { get; init; }

    internal static ConsistentHashSpec Read(YamlSpecReader r) => new()
    {
        HttpHeaderName = r.String("httpHeaderName"),
        HttpCookie = r.Object("httpCookie", HttpCookieSpec.Read),
        UseSourceIp = r.Bool("useSourceIp"),
        HttpQueryParameterName = r.String("httpQueryParameterName"),
        RingHash = r.Raw("ringHash"),
        Maglev = r.Raw("maglev"),
        MinimumRingSize = r.Long("minimumRingSize"),
    };
}

public sealed class HttpCookieSpec
{
    public string? Name { get; init; }
    public string? Path { get; init; }
    public TimeSpan? Ttl { get; init; }
    public JsonNode? Attributes { get; init; }

    internal static HttpCookieSpec Read(YamlSpecReader r) => new()
    {
        Name = r.String("name"),
        Path = r.String("path"),
        Ttl = r.Duration("ttl"),
        Attributes = r.Raw("attributes"),
    };
}

public sealed class ConnectionPoolSpec
{
    public TcpSettingsSpec? Tcp { get; init; }
    public HttpSettingsSpec? Http { get; init; }

    internal static ConnectionPoolSpec Read(YamlSpecReader r) => new()
    {
        Tcp = r.Object("tcp", TcpSettingsSpec.Read),
        Http = r.Object("http", HttpSettingsSpec.Read),
    };
}

public sealed class TcpSettingsSpec
{
    public long? MaxConnections { get; init; }
    public TimeSpan? ConnectTimeout { get; init; }
    public JsonNode? TcpKeepalive { get; init; }
    public JsonNode? MaxConnectionDuration { get; init; }
    public JsonNode? IdleTimeout { get; init; }

    internal static TcpSettingsSpec Read(YamlSpecReader r) => new()
    {
        MaxConnections = r.Long("maxConnections"),
        ConnectTimeout = r.Duration("connectTimeout"),
        TcpKeepalive = r.Raw("tcpKeepalive"),
        MaxConnectionDuration = r.Raw("maxConnectionDuration"),
        IdleTimeout = r.Raw("idleTimeout"),
    };
}

public sealed class HttpSettingsSpec
{
    public long? Http1MaxPendingRequests { get; init; }
    public long? Http2MaxRequests { get; init; }
    public long? MaxRequestsPerConnection { get; init; }
    public long? MaxRetries { get; init; }
    public TimeSpan? IdleTimeout { get; init; }
    public string? H2UpgradePolicy { get; init; }
    public JsonNode? UseClientProtocol { get; init; }
    public JsonNode? MaxConcurrentStreams { get; init; }

    internal static HttpSettingsSpec Read(YamlSpecReader r) => new()
    {
        Http1MaxPendingRequests = r.Long("http1MaxPendingRequests"),
        Http2MaxRequests = r.Long("http2MaxRequests"),
        MaxRequestsPerConnection = r.Long("maxRequestsPerConnection"),
        MaxRetries = r.Long("maxRetries"),
        IdleTimeout = r.Duration("idleTimeout"),
        H2UpgradePolicy = r.String("h2UpgradePolicy"),
        UseClientProtocol = r.Raw("useClientProtocol"),
        MaxConcurrentStreams = r.Raw("maxConcurrentStreams"),
    };
}

public sealed class OutlierDetectionSpec
{
    public long? Consecutive5xxErrors { get; init; }
    public long? ConsecutiveGatewayErrors { get; init; }
    public TimeSpan? Interval { get; init; }
    public TimeSpan? BaseEjectionTime { get; init; }
    public long? MaxEjectionPercent { get; init; }
    public long? MinHealthPercent { get; init; }
    public JsonNode? ConsecutiveErrors { get; init; }
    public JsonNode? ConsecutiveLocalOriginFailures { get; init; }
    public JsonNode? SplitExternalLocalOriginErrors { get; init; }

    internal static OutlierDetectionSpec Read(YamlSpecReader r) => new()
    {
        Consecutive5xxErrors = r.Long("consecutive5xxErrors"),
        ConsecutiveGatewayErrors = r.Long("consecutiveGatewayErrors"),
        Interval = r.Duration("interval"),
        BaseEjectionTime = r.Duration("baseEjectionTime"),
        MaxEjectionPercent = r.Long("maxEjectionPercent"),
        MinHealthPercent = r.Long("minHealthPercent"),
        ConsecutiveErrors = r.Raw("consecutiveErrors"),
        ConsecutiveLocalOriginFailures = r.Raw("consecutiveLocalOriginFailures"),
        SplitExternalLocalOriginErrors = r.Raw("splitExternalLocalOriginErrors"),
    };
}
