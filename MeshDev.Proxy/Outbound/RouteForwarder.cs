using System.Diagnostics;
using System.Net.Http;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The one outbound path, for a sidecar's outbound listeners and the gateway alike, in Envoy's order: pick the first
/// route that matches, pick its destination by weight (once per request, as Envoy's weighted clusters do), inject the
/// route's faults, then forward under the route's timeout with its retry policy, each try to a healthy endpoint of
/// the destination's subset picked by the subset's (or cluster's) balancer.
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
    /// <summary>Envoy's local reply for response flag UT.</summary>
    public const string TimeoutBody = "upstream request timeout";

    /// <summary>Envoy's body for an abort injected by the fault filter.</summary>
    public const string FaultAbortBody = "fault filter abort";

    // Envoy's default retry back-off base interval.
    private const int RetryBackOffBaseMilliseconds = 25;

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
        if (route.Fault is { } fault)
        {
            if (fault.HasDelay && RouteFault.Applies(fault.DelayPercentage))
            {
                scope.Stats.DelaysInjected.Increment();
                RequestTelemetry.Flag(context, ResponseFlags.DelayInjected);
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (fault.HasAbort && RouteFault.Applies(fault.AbortPercentage))
            {
                scope.Stats.AbortsInjected.Increment();
                RequestTelemetry.Flag(context, ResponseFlags.FaultInjected);
                await WriteFaultAbortAsync(context, fault);
                return;
            }
        }

        if (!snapshot.Clusters.TryGetValue(destination.Service, out var cluster)
            || cluster.Select(destination.Subset) is not { HealthyEndpoints.Length: > 0 } endpoints)
        {
            clusterStats.NoHealthyUpstream.Increment();
            RequestTelemetry.Flag(context, ResponseFlags.NoHealthyUpstream);
            await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.NoHealthyUpstreamBody);
            return;
        }

        // Outlier detection may have ejected some of them; the rest take the traffic.
        var available = endpoints.Available(clusterStats);
        if (available.Length == 0)
        {
            clusterStats.NoHealthyUpstream.Increment();
            RequestTelemetry.Flag(context, ResponseFlags.NoHealthyUpstream);
            await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.NoHealthyUpstreamBody);
            return;
        }

        if (!route.RequestHeaders.IsEmpty)
        {
            route.RequestHeaders.Apply(context.Request.Headers);
        }

        // As Envoy: after the header operations (a rewritten Host wins), before the mirror (which sees the rewritten request).
        route.Rewrite?.Apply(context.Request, matchedUri);

        var policy = route.Retries;
        var mirrored = route.Mirror is { } mirrorRoute && mirrorRoute.Applies() ? mirrorRoute : null;
        var body = await RequestBodyReplay.PrepareAsync(context, policy.Retries > 0 || mirrored is not null, clusterStats.RetryOrShadowAbandoned);
        if (mirrored is not null)
        {
            await mirror.TryMirrorAsync(context, mirrored, snapshot, scope.FallbackProtocol, body, scope.Stats);
        }

        using var routeTimeout = route.Timeout > TimeSpan.Zero ? new CancellationTokenSource(route.Timeout) : null;
        if (!await AdmitAsync(context, endpoints, clusterStats, routeTimeout))
        {
            return;
        }

        var retrySlot = new RetrySlot(endpoints.Breaker);
        try
        {
            await ForwardTriesAsync(context, scope, route, cluster, endpoints, available, body, routeTimeout, clusterStats, retrySlot);
        }
        finally
        {
            retrySlot.Finish();
            endpoints.Breaker.Release();
        }
    }

    /// <summary>
    /// The circuit breaker's verdict: through at once, through after waiting among the pending requests, or 503 with
    /// x-envoy-overloaded (Envoy's UO) when the pending queue is full too.
    /// </summary>
    /// <returns>False when the request was answered here.</returns>
    private static async ValueTask<bool> AdmitAsync(HttpContext context, EndpointSet endpoints, ClusterStats clusterStats, CancellationTokenSource? routeTimeout)
    {
        Admission admission;
        using var linked = routeTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, routeTimeout.Token);
        try
        {
            admission = await endpoints.Breaker.AcquireAsync(endpoints.Limits, linked?.Token ?? context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            if (routeTimeout is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
            {
                await ReplyTimeoutAsync(context, clusterStats);
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

    private async Task ForwardTriesAsync(
        HttpContext context,
        RouteScope scope,
        CompiledRoute route,
        UpstreamCluster cluster,
        EndpointSet endpoints,
        UpstreamEndpoint[] available,
        RequestBodyKind body,
        CancellationTokenSource? routeTimeout,
        ClusterStats clusterStats,
        RetrySlot retrySlot)
    {
        var policy = route.Retries;
        var client = clients.For(cluster.Protocol == ServiceProtocol.Unspecified ? scope.FallbackProtocol : cluster.Protocol, endpoints.Traffic.ConnectionPool);
        var transformer = new RouteTransformer(policy, route.ResponseHeaders);
        var candidates = available;
        var telemetry = RequestTelemetry.Of(context);

        for (var attempt = 0; ; attempt++)
        {
            // A retry picks the least loaded of the endpoints not tried yet rather than asking the balancer again: a
            // second round-robin turn would move the rotation on, and every other request would then meet the failed
            // endpoint first.
            string? setCookie = null;
            var endpoint = attempt == 0 ? endpoints.Pick(context, candidates, out setCookie) : LeastRequestLoadBalancer.Instance.Pick(candidates);
            transformer.SetCookie ??= setCookie;
            var retriesLeft = attempt < policy.Retries;
            transformer.StartTry();
            transformer.HoldRetriableResponses = retriesLeft && body != RequestBodyKind.Streamed && policy.RetriesOnResponses;

            using var tryTimeout = policy.PerTryTimeout > TimeSpan.Zero
                ? CancellationTokenSource.CreateLinkedTokenSource(routeTimeout?.Token ?? CancellationToken.None)
                : null;
            tryTimeout?.CancelAfter(policy.PerTryTimeout);
            var token = tryTimeout?.Token ?? routeTimeout?.Token ?? CancellationToken.None;

            connectionSecurity?.Record(context, cluster.Name, endpoint);
            ForwarderError error;
            using var trySpan = telemetry?.StartTry(context, cluster.Name, endpoint);
            endpoint.Load.Started();
            try
            {
                error = await forwarder.SendAsync(context, endpoint.DestinationPrefix, client.Invoker, client.RequestConfig, transformer, token);
            }
            finally
            {
                endpoint.Load.Finished();
                retrySlot.Finish();
            }

            RequestTelemetry.EndTry(trySpan, error, transformer.LastStatusCode);

            if (error == ForwarderError.None && transformer.LastStatusCode != 0)
            {
                endpoints.Outlier?.Record(endpoint, transformer.OutlierStatusCode, clusterStats);
            }

            TryFailure? failure = null;
            if (error == ForwarderError.None && !transformer.HeldBack)
            {
                if (transformer.LastResponseRetriable && policy.Retries > 0 && !retriesLeft)
                {
                    clusterStats.RetryLimitExceeded.Increment();
                    RequestTelemetry.Flag(context, ResponseFlags.UpstreamRetryLimitExceeded);
                }
                else if (attempt > 0 && !transformer.LastResponseRetriable)
                {
                    clusterStats.RetrySuccesses.Increment();
                }

                return;
            }

            if (error != ForwarderError.None)
            {
                if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
                {
                    // YARP has already ended what the client sees.
                    return;
                }

                if (routeTimeout is { IsCancellationRequested: true })
                {
                    await ReplyTimeoutAsync(context, clusterStats);
                    return;
                }

                failure = Classify(context, error, tryTimeout);
                if (failure is null)
                {
                    // Not a failure retry_on speaks of (e.g. the client's request body broke); YARP's status stands.
                    return;
                }

                // The endpoint could not be reached or broke off: a gateway failure for outlier detection.
                endpoints.Outlier?.Record(endpoint, 0, clusterStats);

                if (failure == TryFailure.ConnectFailure)
                {
                    clusterStats.ConnectFailures.Increment();
                    logger.LogDebug("Connect to {Cluster} endpoint {Address} failed.", cluster.Name, endpoint.Address);
                }
                else if (failure == TryFailure.PerTryTimeout)
                {
                    clusterStats.PerTryTimeouts.Increment();
                }
            }

            // Held-back responses are retriable by construction; a connect failure sent nothing, so even a streamed
            // body is still unread. A recorded body is replayable while it fits the retry buffer.
            var retriable = failure is null || policy.IsRetriable(failure.Value);
            var replayable = RequestBodyReplay.CanReplay(context, body) || (body == RequestBodyKind.Streamed && failure == TryFailure.ConnectFailure);
            candidates = NextCandidates(candidates, endpoint, available, strict: failure == TryFailure.ConnectFailure);
            if (!retriable || !retriesLeft || !replayable || candidates.Length == 0)
            {
                if (retriable && policy.Retries > 0 && !retriesLeft)
                {
                    clusterStats.RetryLimitExceeded.Increment();
                    RequestTelemetry.Flag(context, ResponseFlags.UpstreamRetryLimitExceeded);
                }

                await ReplyFailureAsync(context, failure, cluster.Name, attempt + 1, endpoint);
                return;
            }

            if (!retrySlot.TryTake(endpoints.Limits))
            {
                // Envoy's retry_overflow: max_retries retries are in flight to this cluster, so this one is not made.
                clusterStats.RetryOverflow.Increment();
                RequestTelemetry.Flag(context, ResponseFlags.UpstreamOverflow);
                if (failure is null)
                {
                    // The retriable response was held back for the retry and is gone; answer as Envoy's breaker does.
                    await ForwardingOutcome.WriteOverflowAsync(context);
                }
                else
                {
                    await ReplyFailureAsync(context, failure, cluster.Name, attempt + 1, endpoint);
                }

                return;
            }

            clusterStats.Retries.Increment();
            ForwardingOutcome.ResetForRetry(context);
            RequestBodyReplay.Rewind(context, body);
            if (!await BackOffAsync(context, attempt, routeTimeout))
            {
                if (routeTimeout is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
                {
                    await ReplyTimeoutAsync(context, clusterStats);
                }

                return;
            }
        }
    }

    /// <summary>What retry_on calls the way a try failed; null for failures it has no name for.</summary>
    private static TryFailure? Classify(HttpContext context, ForwarderError error, CancellationTokenSource? tryTimeout)
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
    private static UpstreamEndpoint[] NextCandidates(UpstreamEndpoint[] candidates, UpstreamEndpoint tried, UpstreamEndpoint[] all, bool strict)
    {
        var others = Array.FindAll(candidates, e => !ReferenceEquals(e, tried));
        if (others.Length > 0 || strict)
        {
            return others;
        }

        return all.Length > 1 ? Array.FindAll(all, e => !ReferenceEquals(e, tried)) : all;
    }

    /// <returns>False when the request ended (client gone or route timeout) during the back-off.</returns>
    private static async ValueTask<bool> BackOffAsync(HttpContext context, int attempt, CancellationTokenSource? routeTimeout)
    {
        // Envoy's fully jittered exponential back-off: 25 ms base, capped at ten times the base.
        var ceiling = Math.Min(RetryBackOffBaseMilliseconds << Math.Min(attempt, 4), RetryBackOffBaseMilliseconds * 10);
        var delay = TimeSpan.FromMilliseconds(Random.Shared.Next(ceiling));
        using var linked = routeTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, routeTimeout.Token);
        try
        {
            await Task.Delay(delay, linked?.Token ?? context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReplyFailureAsync(HttpContext context, TryFailure? failure, string cluster, int tries, UpstreamEndpoint endpoint)
    {
        switch (failure)
        {
            case TryFailure.ConnectFailure:
                RequestTelemetry.Flag(context, ResponseFlags.UpstreamConnectionFailure);
                logger.LogWarning("Request to {Cluster} failed after {Attempts} attempt(s): could not connect to {Address}.", cluster, tries, endpoint.Address);
                await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.ConnectFailureBody);
                break;
            case TryFailure.PerTryTimeout:
                RequestTelemetry.Flag(context, ResponseFlags.UpstreamRequestTimeout);
                await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status504GatewayTimeout, TimeoutBody);
                break;
            // A reset keeps the status YARP chose (502 before any response byte); a held-back response never ends here.
        }
    }

    private static Task ReplyTimeoutAsync(HttpContext context, ClusterStats clusterStats)
    {
        clusterStats.Timeouts.Increment();
        RequestTelemetry.Flag(context, ResponseFlags.UpstreamRequestTimeout);
        return ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status504GatewayTimeout, TimeoutBody);
    }

    private static Task WriteFaultAbortAsync(HttpContext context, RouteFault fault)
    {
        if (fault.AbortGrpcStatus is { } grpcStatus)
        {
            // A gRPC abort is a trailers-only response: HTTP 200 with the status in the headers.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = FaultAbortBody;
            return Task.CompletedTask;
        }

        return ForwardingOutcome.WriteLocalReplyAsync(context, fault.AbortHttpStatus, FaultAbortBody);
    }
}

/// <summary>The one retry a request may have in flight against its cluster's max_retries at any time.</summary>
internal sealed class RetrySlot(CircuitBreaker breaker)
{
    private bool _held;

    public bool TryTake(CircuitBreakerLimits limits) => _held = breaker.TryStartRetry(limits);

    public void Finish()
    {
        if (_held)
        {
            _held = false;
            breaker.RetryFinished();
        }
    }
}
