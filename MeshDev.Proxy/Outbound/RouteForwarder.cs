using System.Diagnostics;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Outbound.Faults;
using MeshDev.Proxy.Outbound.Retries;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry.Mesh;
using MeshDev.Proxy.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The one outbound path, for a sidecar's outbound listeners and the gateway alike, in Envoy's order: pick the first
/// route that matches, pick its destination by weight (once per request, as Envoy's weighted clusters do), inject the
/// route's faults (<see cref="FaultInjector"/>), then under the route's timeout pass the circuit breaker
/// (<see cref="RequestAdmission"/>) and forward with the route's retry policy (<see cref="RetryLoop"/>), each try to a
/// healthy endpoint of the destination's subset picked by the subset's (or cluster's) balancer.
/// </summary>
public sealed class RouteForwarder(
    IHttpForwarder forwarder,
    ISnapshotSource<IOutboundSnapshot> snapshots,
    UpstreamClients clients,
    RequestMirror mirror,
    StatsRegistry stats,
    ILogger<RouteForwarder> logger,
    Tls.UpstreamConnectionSecurity? connectionSecurity = null)
{
    private readonly RetryLoop _retries = new(forwarder, logger, connectionSecurity);

    /// <returns>False when no route matched (the 404 is already set).</returns>
    public async Task<bool> ForwardAsync(HttpContext context, RouteScope scope)
    {
        var snapshot = snapshots.Current;
        var route = snapshot.RouteTables.TryGetValue(scope.TableName, out var table) ? table.Match(context.Request) : scope.DefaultRoute;
        if (route is null)
        {
            // Envoy's NR: 404 with an empty body.
            scope.Stats.NoRoute.Increment();
            RequestTelemetry.Flag(context, ResponseFlags.NoRoute);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return false;
        }

        if (route.Redirect is { } redirect)
        {
            scope.Stats.Redirected.Increment();
            redirect.Write(context, route.ResponseHeaders);
            return true;
        }

        // The block that matched decides a prefix rewrite; taken now, before header operations change the request.
        var matchedUri = route.Rewrite is null ? null : route.MatchedBlock(context.Request)?.Uri;
        var destination = route.PickDestination();
        RequestTelemetry.Of(context)?.Routed(route.Name, destination.Service, destination.Subset);
        var clusterStats = destination.Stats ??= stats.Cluster(destination.Service);
        var started = Stopwatch.GetTimestamp();
        clusterStats.RequestsTotal.Increment();
        try
        {
            await ForwardRouteAsync(context, scope, snapshot, route, destination, clusterStats, matchedUri);
        }
        finally
        {
            clusterStats.ResponseCodes.Record(context.Response.StatusCode);
            clusterStats.GrpcStatuses.Record(context);
            clusterStats.RequestTime.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return true;
    }

    private async Task ForwardRouteAsync(
        HttpContext context, RouteScope scope, IOutboundSnapshot snapshot, CompiledRoute route, RouteDestination destination, ClusterStats clusterStats, StringMatcher? matchedUri)
    {
        if (route.Fault is { } fault && !await FaultInjector.ApplyAsync(context, fault, scope.Stats))
        {
            return;
        }

        if (!snapshot.Clusters.TryGetValue(destination.Service, out var cluster)
            || cluster.Select(destination.Subset) is not { HealthyEndpoints.Length: > 0 } endpoints)
        {
            await ReplyNoHealthyUpstreamAsync(context, clusterStats);
            return;
        }

        // Outlier detection may have ejected some of them; the rest take the traffic.
        var available = endpoints.Available(clusterStats);
        if (available.Length == 0)
        {
            await ReplyNoHealthyUpstreamAsync(context, clusterStats);
            return;
        }

        if (!route.RequestHeaders.IsEmpty)
        {
            route.RequestHeaders.Apply(context.Request.Headers);
        }

        // As Envoy: after the header operations (a rewritten Host wins), before the mirror (which sees the rewritten request).
        route.Rewrite?.Apply(context.Request, matchedUri);

        var mirrored = route.Mirror is { } mirrorRoute && mirrorRoute.Applies() ? mirrorRoute : null;
        var body = await RequestBodyReplay.PrepareAsync(context, route.Retries.Retries > 0 || mirrored is not null, clusterStats.RetryOrShadowAbandoned);
        if (mirrored is not null)
        {
            await mirror.TryMirrorAsync(context, mirrored, snapshot, scope.FallbackProtocol, body, scope.Stats);
        }

        using var routeTimeout = RouteTimeout.Start(route.Timeout);
        if (!await RequestAdmission.AdmitAsync(context, endpoints.Breaker, endpoints.Limits, clusterStats, routeTimeout))
        {
            return;
        }

        var retrySlot = new RetrySlot(endpoints.Breaker);
        try
        {
            var client = clients.For(cluster.Protocol == ServiceProtocol.Unspecified ? scope.FallbackProtocol : cluster.Protocol, endpoints.Traffic.ConnectionPool);
            await _retries.RunAsync(context, route, cluster, endpoints, available, client, body, routeTimeout, clusterStats, retrySlot);
        }
        finally
        {
            retrySlot.Finish();
            endpoints.Breaker.Release();
        }
    }

    private static Task ReplyNoHealthyUpstreamAsync(HttpContext context, ClusterStats clusterStats)
    {
        clusterStats.NoHealthyUpstream.Increment();
        RequestTelemetry.Flag(context, ResponseFlags.NoHealthyUpstream);
        return ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.NoHealthyUpstreamBody);
    }
}
