using MeshDev.Proxy.Routing;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using MeshDev.Proxy.Forwarding;

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

    /// <summary>Status of the upstream's response to the last try; 0 when none arrived.</summary>
    public int LastStatusCode { get; private set; }

    /// <summary>A cookie the consistent hash issued to this request, returned with the upstream's response.</summary>
    public string? SetCookie { get; set; }

    /// <summary>
    /// The last try's grpc-status when its response was gRPC: from the headers of a trailers-only response, else
    /// from the trailers; null for other responses and for a gRPC response that ended without one.
    /// </summary>
    public int? LastGrpcStatus { get; private set; }

    /// <summary>
    /// What outlier detection judges the last try by, as Envoy's router reports it: a gRPC answer by the HTTP status
    /// its grpc-status maps to (UNAVAILABLE counts as a 503), anything else by its HTTP status.
    /// </summary>
    public int OutlierStatusCode => LastGrpcStatus is { } grpc ? GrpcStatusCodes.ToHttpStatus(grpc) : LastStatusCode;

    private bool _grpcResponse;

    public void StartTry()
    {
        HeldBack = false;
        LastResponseRetriable = false;
        LastStatusCode = 0;
        LastGrpcStatus = null;
        _grpcResponse = false;
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        LastStatusCode = (int)proxyResponse.StatusCode;
        string? grpcStatus = null;
        _grpcResponse = GrpcStatusCodes.IsGrpcContentType(proxyResponse.Content.Headers.ContentType?.MediaType);
        if ((_grpcResponse || retries.ReadsGrpcStatus) && proxyResponse.Headers.TryGetValues("grpc-status", out var values))
        {
            // A trailers-only response: the call's status is in the one header block.
            grpcStatus = values.FirstOrDefault();
            if (_grpcResponse && GrpcStatusCodes.TryParseWire(grpcStatus, out var code))
            {
                LastGrpcStatus = code;
            }
        }

        LastResponseRetriable = retries.IsRetriable((int)proxyResponse.StatusCode, grpcStatus);
        // A recorded body that outgrew the retry buffer cannot be sent again, so its retriable answer is passed on.
        if (LastResponseRetriable && HoldRetriableResponses && !httpContext.Response.HasStarted
            && httpContext.Request.Body is not RecordingRequestBody { CanReplay: false })
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

    public override async ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        await base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
        if (_grpcResponse && LastGrpcStatus is null
            && proxyResponse.TrailingHeaders.TryGetValues("grpc-status", out var values)
            && GrpcStatusCodes.TryParseWire(values.FirstOrDefault(), out var code))
        {
            LastGrpcStatus = code;
        }
    }
}
