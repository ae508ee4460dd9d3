using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;

namespace MeshDev.Proxy.Outbound.Faults;

/// <summary>
/// Envoy's fault filter: carries out a route's <see cref="RouteFault"/> (the policy, compiled from the VirtualService)
/// before the request is forwarded. The delay comes first, then the abort, each on its own share of requests.
/// </summary>
public static class FaultInjector
{
    /// <summary>Envoy's body for an abort injected by the fault filter.</summary>
    public const string AbortBody = "fault filter abort";

    /// <returns>True when the request goes on upstream; false when it ended here (an abort was written, or the client
    /// left during the delay).</returns>
    public static async ValueTask<bool> ApplyAsync(HttpContext context, RouteFault fault, RouteStats stats)
    {
        if (fault.HasDelay && RouteFault.Applies(fault.DelayPercentage))
        {
            stats.DelaysInjected.Increment();
            RequestTelemetry.Flag(context, ResponseFlags.DelayInjected);
            try
            {
                await Task.Delay(fault.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        if (fault.HasAbort && RouteFault.Applies(fault.AbortPercentage))
        {
            stats.AbortsInjected.Increment();
            RequestTelemetry.Flag(context, ResponseFlags.FaultInjected);
            await WriteAbortAsync(context, fault);
            return false;
        }

        return true;
    }

    private static Task WriteAbortAsync(HttpContext context, RouteFault fault)
    {
        if (fault.AbortGrpcStatus is { } grpcStatus)
        {
            // A gRPC abort is a trailers-only response: HTTP 200 with the status in the headers.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = AbortBody;
            return Task.CompletedTask;
        }

        return ForwardingOutcome.WriteLocalReplyAsync(context, fault.AbortHttpStatus, AbortBody);
    }
}
