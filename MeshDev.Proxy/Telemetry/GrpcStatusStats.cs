using System.Globalization;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Http.Features;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// The gRPC statuses a cluster's callers received, in the shape of Envoy's gRPC stats: cluster.&lt;name&gt;.grpc.&lt;code&gt;
/// per status (created when first seen), and grpc.success, grpc.failure and grpc.total per call. A gRPC call's HTTP
/// status is almost always 200, so upstream_rq_&lt;code&gt; alone cannot tell a failed call from a good one.
/// </summary>
public sealed class GrpcStatusStats(StatsRegistry registry, string cluster)
{
    private readonly Counter?[] _codes = new Counter?[GrpcStatusCodes.Max + 1];
    private Counter? _success;
    private Counter? _failure;
    private Counter? _total;

    /// <summary>Counts the call the caller just received, if it was a gRPC response carrying a grpc-status.</summary>
    public void Record(HttpContext context)
    {
        var response = context.Response;
        if (!GrpcStatusCodes.IsGrpcContentType(response.ContentType))
        {
            return;
        }

        // In the trailers normally; in the headers of a trailers-only response (which is also how aborts are sent).
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var value = trailers is not null && trailers.TryGetValue("grpc-status", out var inTrailers) ? inTrailers.ToString() : response.Headers["grpc-status"].ToString();
        if (!GrpcStatusCodes.TryParseWire(value, out var code))
        {
            return;
        }

        Record(code);
    }

    // Created on first use, like the response code counters, so that an HTTP cluster lists no gRPC stats.
    public void Record(int code)
    {
        if (code <= GrpcStatusCodes.Max)
        {
            var name = code.ToString(CultureInfo.InvariantCulture);
            (_codes[code] ??= registry.Counter(StatName.Of($"cluster.{cluster}.grpc.{name}", "meshdev_cluster_grpc", ("cluster_name", cluster), ("grpc_status", name)))).Increment();
        }

        if (code == GrpcStatusCodes.Ok)
        {
            (_success ??= registry.Counter(StatName.Of($"cluster.{cluster}.grpc.success", "meshdev_cluster_grpc_success", ("cluster_name", cluster)))).Increment();
        }
        else
        {
            (_failure ??= registry.Counter(StatName.Of($"cluster.{cluster}.grpc.failure", "meshdev_cluster_grpc_failure", ("cluster_name", cluster)))).Increment();
        }

        (_total ??= registry.Counter(StatName.Of($"cluster.{cluster}.grpc.total", "meshdev_cluster_grpc_total", ("cluster_name", cluster)))).Increment();
    }
}
