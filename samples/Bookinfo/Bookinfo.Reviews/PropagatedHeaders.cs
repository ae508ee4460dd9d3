namespace Bookinfo.Reviews;

// Headers a Bookinfo service passes on to the services it calls. The mesh routes on end-user (Istio's
// "jason" rules) and correlates on x-request-id; trace context travels through OpenTelemetry instead.
public sealed record PropagatedHeaders(string? EndUser, string? RequestId)
{
    public const string EndUserHeader = "end-user";
    public const string RequestIdHeader = "x-request-id";

    public static PropagatedHeaders FromRequest(HttpRequest request) => new(
        NonEmpty(request.Headers[EndUserHeader].ToString()),
        NonEmpty(request.Headers[RequestIdHeader].ToString()));

    private static string? NonEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
