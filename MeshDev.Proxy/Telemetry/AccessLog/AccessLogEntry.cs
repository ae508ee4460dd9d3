namespace MeshDev.Proxy.Telemetry.AccessLog;

/// <summary>One request as Istio's access log describes it; a field the proxy does not know is null ("-").</summary>
public sealed record AccessLogEntry(
    DateTime StartTime,
    string Method,
    string Path,
    string Protocol,
    int ResponseCode,
    string ResponseFlags,
    string ResponseCodeDetails,
    long BytesReceived,
    long BytesSent,
    long DurationMilliseconds,
    string? ForwardedFor,
    string? UserAgent,
    string? RequestId,
    string? Authority,
    string? UpstreamHost,
    string? UpstreamCluster,
    string? DownstreamLocalAddress,
    string? DownstreamRemoteAddress,
    string? RouteName,
    string? TraceId);
