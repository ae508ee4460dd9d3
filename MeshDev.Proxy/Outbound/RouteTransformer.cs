using MeshDev.Proxy.Routing;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The per-request transformer of a routed request. YARP writes a response to the client as it streams, so a response
/// the retry policy wants to retry is judged here, on its status line and headers, and held back (its body not
/// copied) while another try is still possible. Everything else gets the route's response header operations.
/// </summary>
public sealed class RouteTransformer(RetryPolicy retries, HeaderOperations responseHeaders) : HttpTransformer
{
    /// <summary>Set before each try: whether a retriable response may be held back for another try.</summary>
    public bool HoldRetriableResponses { get; set; }

    /// <summary>The last try's response was retriable and was not passed on.</summary>
    public bool HeldBack { get; private set; }

    /// <summary>The last try's response was one the policy would retry (whether or not it was held back).</summary>
    public bool LastResponseRetriable { get; private set; }

    /// <summary>Status of the upstream's response to the last try; 0 when none arrived. Outlier detection reads it.</summary>
    public int LastStatusCode { get; private set; }

    /// <summary>A cookie the consistent hash issued to this request, returned with the upstream's response.</summary>
    public string? SetCookie { get; set; }

    public void StartTry()
    {
        HeldBack = false;
        LastResponseRetriable = false;
        LastStatusCode = 0;
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        LastStatusCode = (int)proxyResponse.StatusCode;
        string? grpcStatus = null;
        if (retries.ReadsGrpcStatus && proxyResponse.Headers.TryGetValues("grpc-status", out var values))
        {
            grpcStatus = values.FirstOrDefault();
        }

        LastResponseRetriable = retries.IsRetriable((int)proxyResponse.StatusCode, grpcStatus);
        if (LastResponseRetriable && HoldRetriableResponses && !httpContext.Response.HasStarted)
        {
            HeldBack = true;
            return false;
        }

        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (SetCookie is not null)
        {
            httpContext.Response.Headers.Append(HeaderNames.SetCookie, SetCookie);
        }

        if (!responseHeaders.IsEmpty)
        {
            responseHeaders.Apply(httpContext.Response.Headers);
        }

        return copyBody;
    }
}
