using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound.Retries;

/// <summary>
/// The tries of one request, under a route's <see cref="RetryPolicy"/> (the policy; this is the mechanism): each try
/// to an endpoint of the destination's set under the per-try timeout, outlier detection told of what the endpoint
/// answered, and another try while retry_on, the retry budget of the circuit breaker, the request body and the route's
/// timeout all allow one. It ends by leaving the response YARP wrote or by writing Envoy's local reply.
/// </summary>
public sealed class RetryLoop(IHttpForwarder forwarder, ILogger logger, Tls.UpstreamConnectionSecurity? connectionSecurity = null)
{
    public async Task RunAsync(
        HttpContext context,
        CompiledRoute route,
        UpstreamCluster cluster,
        EndpointSet endpoints,
        UpstreamEndpoint[] available,
        UpstreamClient client,
        RequestBodyKind body,
        CancellationTokenSource? routeTimeout,
        ClusterStats clusterStats,
        RetrySlot retrySlot)
    {
        var policy = route.Retries;
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
                    await RouteTimeout.ReplyAsync(context, clusterStats);
                    return;
                }

                failure = TryOutcome.Classify(context, error, tryTimeout);
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
            candidates = TryOutcome.NextCandidates(candidates, endpoint, available, strict: failure == TryFailure.ConnectFailure);
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
            if (!await RetryBackOff.WaitAsync(context, attempt, routeTimeout))
            {
                if (routeTimeout is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
                {
                    await RouteTimeout.ReplyAsync(context, clusterStats);
                }

                return;
            }
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
                await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status504GatewayTimeout, RouteTimeout.Body);
                break;
            // A reset keeps the status YARP chose (502 before any response byte); a held-back response never ends here.
        }
    }
}
