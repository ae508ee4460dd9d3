using System.Net.Http.Headers;

namespace Bookinfo.ProductPage.Upstreams;

// Headers productpage passes on to the services it calls. The mesh routes on end-user (Istio's "jason"
// rules) and correlates on x-request-id; trace context travels through OpenTelemetry instead.
public sealed record PropagatedHeaders(string? EndUser, string? RequestId)
{
    public const string EndUserHeader = "end-user";
    public const string RequestIdHeader = "x-request-id";

    public void ApplyTo(HttpRequestHeaders headers)
    {
        if (EndUser is not null)
        {
            headers.TryAddWithoutValidation(EndUserHeader, EndUser);
        }
        if (RequestId is not null)
        {
            headers.TryAddWithoutValidation(RequestIdHeader, RequestId);
        }
    }
}
