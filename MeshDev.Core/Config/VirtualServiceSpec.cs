using System.Text.Json.Nodes;

namespace MeshDev.Core.Config;

// Istio's VirtualService (networking.istio.io v1/v1beta1/v1alpha3), field for field as Istio names them.
// Fields MeshDev reads but does not carry out yet are kept so that validation can refuse them by name.

public sealed class VirtualServiceSpec
{
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public IReadOnlyList<string> Gateways { get; init; } = [];
    public IReadOnlyList<HttpRouteSpec> Http { get; init; } = [];
    public IReadOnlyList<TcpRouteSpec> Tcp { get; init; } = [];
    public JsonNode? Tls { get; init; }
    public IReadOnlyList<string> ExportTo { get; init; } = [];

    internal static VirtualServiceSpec Read(YamlSpecReader r) => new()
    {
        Hosts = r.StringList("hosts"),
        Gateways = r.StringList("gateways"),
        Http = r.List("http", HttpRouteSpec.Read),
        Tcp = r.List("tcp", TcpRouteSpec.Read),
        Tls = r.Raw("tls"),
        ExportTo = r.StringList("exportTo"),
    };
}

public sealed class HttpRouteSpec
{
    public string? Name { get; init; }
    public IReadOnlyList<HttpMatchRequestSpec> Match { get; init; } = [];
    public IReadOnlyList<HttpRouteDestinationSpec> Route { get; init; } = [];
    public HttpRedirectSpec? Redirect { get; init; }
    public HttpRewriteSpec? Rewrite { get; init; }
    public TimeSpan? Timeout { get; init; }
    public HttpRetrySpec? Retries { get; init; }
    public HttpFaultInjectionSpec? Fault { get; init; }
    public DestinationSpec? Mirror { get; init; }
    public PercentSpec? MirrorPercentage { get; init; }
    public IReadOnlyList<HttpMirrorPolicySpec> Mirrors { get; init; } = [];
    public JsonNode? CorsPolicy { get; init; }
    public HeadersSpec? Headers { get; init; }

    internal static HttpRouteSpec Read(YamlSpecReader r) => new()
    {
        Name = r.String("name"),
        Match = r.List("match", HttpMatchRequestSpec.Read),
        Route = r.List("route", HttpRouteDestinationSpec.Read),
        Redirect = r.Object("redirect", HttpRedirectSpec.Read),
        Rewrite = r.Object("rewrite", HttpRewriteSpec.Read),
        Timeout = r.Duration("timeout"),
        Retries = r.Object("retries", HttpRetrySpec.Read),
        Fault = r.Object("fault", HttpFaultInjectionSpec.Read),
        Mirror = r.Object("mirror", DestinationSpec.Read),
        MirrorPercentage = r.Object("mirrorPercentage", PercentSpec.Read),
        Mirrors = r.List("mirrors", HttpMirrorPolicySpec.Read),
        CorsPolicy = r.Raw("corsPolicy"),
        Headers = r.Object("headers", HeadersSpec.Read),
    };
}

public sealed class HttpMatchRequestSpec
{
    public string? Name { get; init; }
    public StringMatchSpec? Uri { get; init; }
    public StringMatchSpec? Scheme { get; init; }
    public StringMatchSpec? Method { get; init; }
    public StringMatchSpec? Authority { get; init; }
    public IReadOnlyDictionary<string, StringMatchSpec> Headers { get; init; } = new Dictionary<string, StringMatchSpec>();
    public IReadOnlyDictionary<string, StringMatchSpec> QueryParams { get; init; } = new Dictionary<string, StringMatchSpec>();
    public IReadOnlyDictionary<string, StringMatchSpec> WithoutHeaders { get; init; } = new Dictionary<string, StringMatchSpec>();
    public int? Port { get; init; }
    public IReadOnlyDictionary<string, string> SourceLabels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Gateways { get; init; } = [];
    public bool IgnoreUriCase { get; init; }
    public string? SourceNamespace { get; init; }

    internal static HttpMatchRequestSpec Read(YamlSpecReader r) => new()
    {
        Name = r.String("name"),
        Uri = r.Object("uri", StringMatchSpec.Read),
        Scheme = r.Object("scheme", StringMatchSpec.Read),
        Method = r.Object("method", StringMatchSpec.Read),
        Authority = r.Object("authority", StringMatchSpec.Read),
        Headers = r.ObjectMap("headers", StringMatchSpec.Read),
        QueryParams = r.ObjectMap("queryParams", StringMatchSpec.Read),
        WithoutHeaders = r.ObjectMap("withoutHeaders", StringMatchSpec.Read),
        Port = r.Int("port"),
        SourceLabels = r.StringMap("sourceLabels"),
        Gateways = r.StringList("gateways"),
        IgnoreUriCase = r.Bool("ignoreUriCase") ?? false,
        SourceNamespace = r.String("sourceNamespace"),
    };
}

/// <summary>One of exact, prefix or regex (RE2, full match).</summary>
public sealed class StringMatchSpec
{
    public string? Exact { get; init; }
    public string? Prefix { get; init; }
    public string? Regex { get; init; }

    public int Count => (Exact is null ? 0 : 1) + (Prefix is null ? 0 : 1) + (Regex is null ? 0 : 1);

    internal static StringMatchSpec Read(YamlSpecReader r) => new()
    {
        Exact = r.String("exact"),
        Prefix = r.String("prefix"),
        Regex = r.String("regex"),
    };
}

public sealed class HttpRouteDestinationSpec
{
    public DestinationSpec? Destination { get; init; }
    public int? Weight { get; init; }
    public HeadersSpec? Headers { get; init; }

    internal static HttpRouteDestinationSpec Read(YamlSpecReader r) => new()
    {
        Destination = r.Object("destination", DestinationSpec.Read),
        Weight = r.Int("weight"),
        Headers = r.Object("headers", HeadersSpec.Read),
    };
}

public sealed class DestinationSpec
{
    public string? Host { get; init; }
    public string? Subset { get; init; }
    public PortSelectorSpec? Port { get; init; }

    internal static DestinationSpec Read(YamlSpecReader r) => new()
    {
        Host = r.String("host"),
        Subset = r.String("subset"),
        Port = r.Object("port", PortSelectorSpec.Read),
    };
}

public sealed class PortSelectorSpec
{
    public long? Number { get; init; }

    internal static PortSelectorSpec Read(YamlSpecReader r) => new() { Number = r.Long("number") };
}

public sealed class HeadersSpec
{
    public HeaderOperationsSpec? Request { get; init; }
    public HeaderOperationsSpec? Response { get; init; }

    internal static HeadersSpec Read(YamlSpecReader r) => new()
    {
        Request = r.Object("request", HeaderOperationsSpec.Read),
        Response = r.Object("response", HeaderOperationsSpec.Read),
    };
}

public sealed class HeaderOperationsSpec
{
    public IReadOnlyDictionary<string, string> Set { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Add { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Remove { get; init; } = [];

    internal static HeaderOperationsSpec Read(YamlSpecReader r) => new()
    {
        Set = r.StringMap("set"),
        Add = r.StringMap("add"),
        Remove = r.StringList("remove"),
    };
}

public sealed class HttpRetrySpec
{
    public long? Attempts { get; init; }
    public TimeSpan? PerTryTimeout { get; init; }
    public string? RetryOn { get; init; }
    public bool? RetryRemoteLocalities { get; init; }

    internal static HttpRetrySpec Read(YamlSpecReader r) => new()
    {
        Attempts = r.Long("attempts"),
        PerTryTimeout = r.Duration("perTryTimeout"),
        RetryOn = r.String("retryOn"),
        RetryRemoteLocalities = r.Bool("retryRemoteLocalities"),
    };
}

public sealed class HttpFaultInjectionSpec
{
    public FaultDelaySpec? Delay { get; init; }
    public FaultAbortSpec? Abort { get; init; }

    internal static HttpFaultInjectionSpec Read(YamlSpecReader r) => new()
    {
        Delay = r.Object("delay", FaultDelaySpec.Read),
        Abort = r.Object("abort", FaultAbortSpec.Read),
    };
}

public sealed class FaultDelaySpec
{
    public TimeSpan? FixedDelay { get; init; }
    public TimeSpan? ExponentialDelay { get; init; }
    public PercentSpec? Percentage { get; init; }
    /// <summary>Deprecated integer percentage, still in Istio's own samples.</summary>
    public long? Percent { get; init; }

    internal static FaultDelaySpec Read(YamlSpecReader r) => new()
    {
        FixedDelay = r.Duration("fixedDelay"),
        ExponentialDelay = r.Duration("exponentialDelay"),
        Percentage = r.Object("percentage", PercentSpec.Read),
        Percent = r.Long("percent"),
    };
}

public sealed class FaultAbortSpec
{
    public long? HttpStatus { get; init; }
    public string? GrpcStatus { get; init; }
    public string? Http2Error { get; init; }
    public PercentSpec? Percentage { get; init; }
    /// <summary>Deprecated integer percentage, still in Istio's own samples.</summary>
    public long? Percent { get; init; }

    internal static FaultAbortSpec Read(YamlSpecReader r) => new()
    {
        HttpStatus = r.Long("httpStatus"),
        GrpcStatus = r.String("grpcStatus"),
        Http2Error = r.String("http2Error"),
        Percentage = r.Object("percentage", PercentSpec.Read),
        Percent = r.Long("percent"),
    };
}

public sealed class PercentSpec
{
    public double? Value { get; init; }

    internal static PercentSpec Read(YamlSpecReader r) => new() { Value = r.Double("value") };
}

public sealed class HttpRedirectSpec
{
    public string? Uri { get; init; }
    public string? Authority { get; init; }
    public long? Port { get; init; }
    public string? DerivePort { get; init; }
    public string? Scheme { get; init; }
    public long? RedirectCode { get; init; }

    internal static HttpRedirectSpec Read(YamlSpecReader r) => new()
    {
        Uri = r.String("uri"),
        Authority = r.String("authority"),
        Port = r.Long("port"),
        DerivePort = r.String("derivePort"),
        Scheme = r.String("scheme"),
        RedirectCode = r.Long("redirectCode"),
    };
}

public sealed class HttpRewriteSpec
{
    public string? Uri { get; init; }
    public string? Authority { get; init; }
    public RegexRewriteSpec? UriRegexRewrite { get; init; }

    internal static HttpRewriteSpec Read(YamlSpecReader r) => new()
    {
        Uri = r.String("uri"),
        Authority = r.String("authority"),
        UriRegexRewrite = r.Object("uriRegexRewrite", RegexRewriteSpec.Read),
    };
}

/// <summary>RE2 <see cref="Match"/> searched in the path; every occurrence becomes <see cref="Rewrite"/> (\1 inserts group 1).</summary>
public sealed class RegexRewriteSpec
{
    public string? Match { get; init; }
    public string? Rewrite { get; init; }

    internal static RegexRewriteSpec Read(YamlSpecReader r) => new()
    {
        Match = r.String("match"),
        Rewrite = r.String("rewrite"),
    };
}

public sealed class HttpMirrorPolicySpec
{
    public DestinationSpec? Destination { get; init; }
    public PercentSpec? Percentage { get; init; }

    internal static HttpMirrorPolicySpec Read(YamlSpecReader r) => new()
    {
        Destination = r.Object("destination", DestinationSpec.Read),
        Percentage = r.Object("percentage", PercentSpec.Read),
    };
}
