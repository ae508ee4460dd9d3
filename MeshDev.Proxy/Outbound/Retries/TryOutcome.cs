using System.Net.Http;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound.Retries;

/// <summary>How one try ended, in retry_on's words, and where the next try may go.</summary>
public static class TryOutcome
{
    /// <summary>What retry_on calls the way a try failed; null for failures it has no name for.</summary>
    public static TryFailure? Classify(HttpContext context, ForwarderError error, CancellationTokenSource? tryTimeout)
    {
        if (ForwardingOutcome.IsConnectFailure(context, error))
        {
            return TryFailure.ConnectFailure;
        }

        if (tryTimeout is { IsCancellationRequested: true })
        {
            return TryFailure.PerTryTimeout;
        }

        for (var exception = context.GetForwarderErrorFeature()?.Exception; exception is not null; exception = exception.InnerException)
        {
            // HTTP/2 REFUSED_STREAM: the server did not process the stream at all.
            if (exception is HttpProtocolException { ErrorCode: 0x7 })
            {
                return TryFailure.RefusedStream;
            }
        }

        return error is ForwarderError.Request or ForwarderError.ResponseHeaders or ForwarderError.RequestTimedOut
            ? TryFailure.Reset
            : null;
    }

    /// <summary>
    /// Endpoints for the next try. An endpoint that refused the connection is out for this request; one that answered
    /// badly is avoided while others remain (Envoy's previous-hosts predicate), but a one-endpoint set retries it.
    /// </summary>
    public static UpstreamEndpoint[] NextCandidates(UpstreamEndpoint[] candidates, UpstreamEndpoint tried, UpstreamEndpoint[] all, bool strict)
    {
        var others = Array.FindAll(candidates, e => !ReferenceEquals(e, tried));
        if (others.Length > 0 || strict)
        {
            return others;
        }

        return all.Length > 1 ? Array.FindAll(all, e => !ReferenceEquals(e, tried)) : all;
    }
}
