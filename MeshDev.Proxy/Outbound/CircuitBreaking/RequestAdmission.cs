using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;

namespace MeshDev.Proxy.Outbound.CircuitBreaking;

/// <summary>
/// A request before its cluster's <see cref="CircuitBreaker"/>: through at once, through after waiting among the
/// pending requests, or 503 with x-envoy-overloaded (Envoy's UO) when the pending queue is full too. The wait counts
/// against the route's timeout.
/// </summary>
public static class RequestAdmission
{
    /// <returns>True when admitted (the caller must <see cref="CircuitBreaker.Release"/>); false when the request was
    /// answered here or the client left.</returns>
    public static async ValueTask<bool> AdmitAsync(
        HttpContext context, CircuitBreaker breaker, CircuitBreakerLimits limits, ClusterStats clusterStats, CancellationTokenSource? routeTimeout)
    {
        Admission admission;
        using var linked = routeTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, routeTimeout.Token);
        try
        {
            admission = await breaker.AcquireAsync(limits, linked?.Token ?? context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            if (routeTimeout is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
            {
                await RouteTimeout.ReplyAsync(context, clusterStats);
            }

            return false;
        }

        if (admission == Admission.Admitted)
        {
            return true;
        }

        clusterStats.ConnectionOverflow.Increment();
        if (admission == Admission.Queued)
        {
            return true;
        }

        clusterStats.PendingOverflow.Increment();
        RequestTelemetry.Flag(context, ResponseFlags.UpstreamOverflow);
        await ForwardingOutcome.WriteOverflowAsync(context);
        return false;
    }
}
