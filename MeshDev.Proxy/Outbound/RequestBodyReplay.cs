using MeshDev.Proxy.Telemetry;
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

    /// <summary>
    /// Of unknown length (chunked HTTP/1.1, HTTP/2 without content-length, gRPC): passed through as it arrives, never
    /// held back, and recorded on the way up to <see cref="RequestBodyReplay.MaxBufferedBytes"/>. A retry replays the
    /// recording while the body fits; one that outgrows it is no longer replayable once sent.
    /// </summary>
    Recorded,
}

public static class RequestBodyReplay
{
    /// <summary>
    /// Bodies up to this size are kept for a retry: Envoy's retry buffer, which its per_request_buffer_limit_bytes
    /// bounds; 64 KiB here.
    /// </summary>
    public const int MaxBufferedBytes = 64 * 1024;

    /// <param name="abandoned">Counted when a recorded body outgrows the buffer (Envoy's retry_or_shadow_abandoned).</param>
    public static async ValueTask<RequestBodyKind> PrepareAsync(HttpContext context, bool retriesPossible, Counter? abandoned = null)
    {
        var request = context.Request;
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }
            || request.ContentLength == 0)
        {
            return RequestBodyKind.None;
        }

        if (!retriesPossible || request.ContentLength > MaxBufferedBytes)
        {
            return RequestBodyKind.Streamed;
        }

        if (request.ContentLength is null)
        {
            // Reading it all before the first try would stall a streaming call whose client waits for answers
            // before it sends more, so it goes up as it comes and is recorded on the way.
            var recorded = new RecordingRequestBody(request.Body, MaxBufferedBytes, abandoned);
            context.Response.RegisterForDispose(recorded);
            request.Body = recorded;
            return RequestBodyKind.Recorded;
        }

        request.EnableBuffering(bufferThreshold: MaxBufferedBytes);
        await request.Body.DrainAsync(context.RequestAborted);
        request.Body.Position = 0;
        return RequestBodyKind.Buffered;
    }

    /// <summary>
    /// Whether another try can send the body again now: always for no body or a buffered one, never for a streamed
    /// one, and for a recorded one while it has not outgrown the buffer.
    /// </summary>
    public static bool CanReplay(HttpContext context, RequestBodyKind body) => body switch
    {
        RequestBodyKind.Streamed => false,
        RequestBodyKind.Recorded => context.Request.Body is RecordingRequestBody { CanReplay: true },
        _ => true,
    };

    public static void Rewind(HttpContext context, RequestBodyKind body)
    {
        if (body == RequestBodyKind.Buffered)
        {
            context.Request.Body.Position = 0;
        }
        else if (body == RequestBodyKind.Recorded && context.Request.Body is RecordingRequestBody recorded)
        {
            recorded.Rewind();
        }
    }
}
