using System.Buffers;
using System.Diagnostics;

namespace MeshDev.Proxy.Telemetry.Tracing;

/// <summary>
/// Trace context on the wire. W3C trace context (traceparent, tracestate) is read and written; Zipkin's B3 — the
/// x-b3-* headers or the single "b3" header — is read when no traceparent came, so callers that speak B3 still join
/// the trace. The mesh passes W3C on; a B3 header that came in is removed when the proxy writes its own context, so
/// that no hop sees two parents.
/// </summary>
public static class TraceContext
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string B3 = "b3";
    public const string B3TraceId = "x-b3-traceid";
    public const string B3SpanId = "x-b3-spanid";
    public const string B3ParentSpanId = "x-b3-parentspanid";
    public const string B3Sampled = "x-b3-sampled";
    public const string B3Flags = "x-b3-flags";

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    /// <returns>False when the headers carry no valid trace context: the request starts a trace.</returns>
    public static bool TryExtract(IHeaderDictionary headers, out ActivityContext context)
    {
        if (headers.TryGetValue(TraceParent, out var traceParent))
        {
            return ActivityContext.TryParse(traceParent.ToString(), headers.TryGetValue(TraceState, out var state) ? state.ToString() : null, isRemote: true, out context);
        }

        if (headers.TryGetValue(B3, out var single))
        {
            return TryParseSingleB3(single.ToString(), out context);
        }

        if (headers.TryGetValue(B3TraceId, out var traceId) && headers.TryGetValue(B3SpanId, out var spanId))
        {
            var sampled = headers.TryGetValue(B3Sampled, out var sampledValue) ? sampledValue.ToString() : null;
            var debug = headers.TryGetValue(B3Flags, out var flags) && flags.ToString() == "1";
            return TryCreate(traceId.ToString(), spanId.ToString(), debug || sampled is null || sampled is "1" or "true", out context);
        }

        context = default;
        return false;
    }

    /// <summary>Makes <paramref name="span"/> the parent of whatever the request reaches next.</summary>
    public static void Inject(IHeaderDictionary headers, Activity span)
    {
        headers[TraceParent] = span.Id;
        if (string.IsNullOrEmpty(span.TraceStateString))
        {
            headers.Remove(TraceState);
        }
        else
        {
            headers[TraceState] = span.TraceStateString;
        }

        headers.Remove(B3);
        headers.Remove(B3TraceId);
        headers.Remove(B3SpanId);
        headers.Remove(B3ParentSpanId);
        headers.Remove(B3Sampled);
        headers.Remove(B3Flags);
    }

    /// <summary>b3: {trace id}-{span id}[-{sampling state}[-{parent span id}]]; a bare sampling state carries no context.</summary>
    private static bool TryParseSingleB3(string value, out ActivityContext context)
    {
        var parts = value.Split('-');
        if (parts.Length is < 2 or > 4)
        {
            context = default;
            return false;
        }

        var sampled = parts.Length < 3 || parts[2] is "1" or "d";
        return TryCreate(parts[0], parts[1], sampled, out context);
    }

    /// <summary>B3 ids are 64- or 128-bit lowercase hex; a 64-bit trace id is the low half of a W3C one.</summary>
    private static bool TryCreate(string traceId, string spanId, bool sampled, out ActivityContext context)
    {
        context = default;
        traceId = traceId.Trim().ToLowerInvariant();
        spanId = spanId.Trim().ToLowerInvariant();
        if (traceId.Length is not (16 or 32) || spanId.Length != 16
            || traceId.AsSpan().ContainsAnyExcept(LowerHex) || spanId.AsSpan().ContainsAnyExcept(LowerHex)
            || traceId.AsSpan().IndexOfAnyExcept('0') < 0 || spanId.AsSpan().IndexOfAnyExcept('0') < 0)
        {
            return false;
        }

        context = new ActivityContext(
            ActivityTraceId.CreateFromString(traceId.PadLeft(32, '0')),
            ActivitySpanId.CreateFromString(spanId),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            traceState: null,
            isRemote: true);
        return true;
    }
}
