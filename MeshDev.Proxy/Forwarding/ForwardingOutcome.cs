using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>How YARP's forwarder failures map onto the mesh's behaviour.</summary>
public static class ForwardingOutcome
{
    /// <summary>Envoy's local reply when no connection could be made, word for word.</summary>
    public const string ConnectFailureBody = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

    /// <summary>Envoy's local reply when a circuit breaker refuses the request (response flag UO), word for word.</summary>
    public const string OverflowBody = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

    /// <summary>Envoy's local reply for response flag UH.</summary>
    public const string NoHealthyUpstreamBody = "no healthy upstream";

    /// <summary>
    /// True when the forwarder could not connect to the destination at all. No byte of the request went out, since
    /// the handler only starts sending the body on an open connection, so the request can safely go elsewhere.
    /// </summary>
    public static bool IsConnectFailure(HttpContext context, ForwarderError error)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        return error switch
        {
            ForwarderError.Request => exception is HttpRequestException
            {
                HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError,
            },
            // SocketsHttpHandler reports its ConnectTimeout as a cancellation caused by a TimeoutException, which
            // YARP classifies as a request timeout; the stream idle timeout cancels without one.
            ForwarderError.RequestTimedOut => exception is OperationCanceledException { InnerException: TimeoutException },
            _ => false,
        };
    }

    /// <summary>Undoes what a failed attempt left on the response so that another attempt starts clean.</summary>
    public static void ResetForRetry(HttpContext context)
    {
        context.Response.Clear();
        context.Features.Set<IForwarderErrorFeature>(null);
    }

    /// <summary>Envoy's answer to a request its circuit breaker refused: 503 and x-envoy-overloaded.</summary>
    public static Task WriteOverflowAsync(HttpContext context)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.Headers["x-envoy-overloaded"] = "true";
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(OverflowBody);
    }

    /// <summary>A reply the proxy makes itself, in plain text like Envoy's.</summary>
    public static Task WriteLocalReplyAsync(HttpContext context, int statusCode, string body)
    {
        if (context.Response.HasStarted)
        {
            // Too late to say anything; the caller sees the stream end.
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(body);
    }
}
