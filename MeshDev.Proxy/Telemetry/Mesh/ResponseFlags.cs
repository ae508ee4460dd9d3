namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>Envoy's response flags for what the proxy did to a request, as its access logs and Istio's metrics name them.</summary>
[Flags]
public enum ResponseFlags
{
    None = 0,

    /// <summary>NR: no route matched.</summary>
    NoRoute = 1 << 0,

    /// <summary>UH: no healthy upstream endpoint.</summary>
    NoHealthyUpstream = 1 << 1,

    /// <summary>UF: the upstream could not be connected to.</summary>
    UpstreamConnectionFailure = 1 << 2,

    /// <summary>UO: refused by the circuit breaker (overflow).</summary>
    UpstreamOverflow = 1 << 3,

    /// <summary>UT: the route's (or a try's) timeout expired.</summary>
    UpstreamRequestTimeout = 1 << 4,

    /// <summary>URX: the retry limit was reached and the last try still failed.</summary>
    UpstreamRetryLimitExceeded = 1 << 5,

    /// <summary>DI: a fault delay was injected.</summary>
    DelayInjected = 1 << 6,

    /// <summary>FI: a fault abort was injected.</summary>
    FaultInjected = 1 << 7,

    /// <summary>DC: the downstream connection ended before the response did.</summary>
    DownstreamConnectionTermination = 1 << 8,
}

public static class ResponseFlagsText
{
    // Envoy's order of the short names in %RESPONSE_FLAGS%.
    private static readonly (ResponseFlags Flag, string Name)[] Names =
    [
        (ResponseFlags.NoHealthyUpstream, "UH"),
        (ResponseFlags.UpstreamConnectionFailure, "UF"),
        (ResponseFlags.UpstreamOverflow, "UO"),
        (ResponseFlags.NoRoute, "NR"),
        (ResponseFlags.DelayInjected, "DI"),
        (ResponseFlags.FaultInjected, "FI"),
        (ResponseFlags.UpstreamRequestTimeout, "UT"),
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX"),
        (ResponseFlags.DownstreamConnectionTermination, "DC"),
    ];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ResponseFlags, string> Texts = new();

    /// <summary>"-" for none, else the short names joined by ',' ("DI,UT").</summary>
    public static string ToEnvoyString(this ResponseFlags flags) =>
        flags == ResponseFlags.None ? "-" : Texts.GetOrAdd(flags, static f => string.Join(',', Names.Where(n => f.HasFlag(n.Flag)).Select(n => n.Name)));

    /// <summary>Envoy's %RESPONSE_CODE_DETAILS% for a request answered with these flags.</summary>
    public static string ResponseCodeDetails(ResponseFlags flags, bool fromUpstream) => flags switch
    {
        _ when flags.HasFlag(ResponseFlags.NoRoute) => "route_not_found",
        _ when flags.HasFlag(ResponseFlags.FaultInjected) => "fault_filter_abort",
        _ when flags.HasFlag(ResponseFlags.NoHealthyUpstream) => "no_healthy_upstream",
        _ when flags.HasFlag(ResponseFlags.UpstreamOverflow) => "overflow",
        _ when flags.HasFlag(ResponseFlags.UpstreamRequestTimeout) => "upstream_response_timeout",
        _ when flags.HasFlag(ResponseFlags.UpstreamConnectionFailure) => "upstream_reset_before_response_started{connection_failure}",
        _ when flags.HasFlag(ResponseFlags.DownstreamConnectionTermination) => "downstream_remote_disconnect",
        _ => fromUpstream ? "via_upstream" : "-",
    };
}
