using Microsoft.AspNetCore.WebUtilities;

namespace MeshDev.Proxy.Outbound;

/// <summary>Whether a request can be sent again after a try has read its body.</summary>
public enum RequestBodyKind
{
    /// <summary>Nothing to send; any try can be repeated.</summary>
    None,

    /// <summary>Held in memory before the first try and rewound before each retry.</summary>
    Buffered,

    /// <summary>Passed through as it arrives; once a try has sent it, it is gone.</summary>
    Streamed,
}

public static class RequestBodyReplay
{
    /// <summary>Bodies up to this size are buffered when a retry is possible, as Envoy's retry buffer limit does.</summary>
    public const int MaxBufferedBytes = 64 * 1024;

    public static async ValueTask<RequestBodyKind> PrepareAsync(HttpContext context, bool retriesPossible)
    {
        var request = context.Request;
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }
            || request.ContentLength == 0)
        {
            return RequestBodyKind.None;
        }

        // A body of unknown length (chunked, or HTTP/2 without content-length, which includes gRPC) is streamed:
        // holding it back could stall a streaming call.
        if (!retriesPossible || request.ContentLength is null or > MaxBufferedBytes)
        {
            return RequestBodyKind.Streamed;
        }

        request.EnableBuffering(bufferThreshold: MaxBufferedBytes);
        await request.Body.DrainAsync(context.RequestAborted);
        request.Body.Position = 0;
        return RequestBodyKind.Buffered;
    }

    public static void Rewind(HttpContext context, RequestBodyKind body)
    {
        if (body == RequestBodyKind.Buffered)
        {
            context.Request.Body.Position = 0;
        }
    }
}
