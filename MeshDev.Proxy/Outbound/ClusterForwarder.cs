using System.Diagnostics;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// Sends a request to a mesh service: the one outbound path, used by a sidecar's outbound listeners and by the
/// gateway's routes. Load balancer pick among healthy endpoints, one retry on another endpoint after a connect
/// failure (Istio's default policy retries connect-failure with 2 attempts), Envoy's local replies, cluster stats.
/// </summary>
public sealed class ClusterForwarder(
    IHttpForwarder forwarder,
    SnapshotStore snapshots,
    UpstreamClients clients,
    ILogger<ClusterForwarder> logger)
{
    private const int MaxAttempts = 2;

    /// <param name="fallbackProtocol">
    /// The protocol of the listener the request came in on, used when the snapshot leaves the cluster's unspecified.
    /// </param>
    public async Task ForwardAsync(HttpContext context, string cluster, ClusterStats stats, ServiceProtocol fallbackProtocol)
    {
        var started = Stopwatch.GetTimestamp();
        stats.RequestsTotal.Increment();
        try
        {
            await ForwardCoreAsync(context, cluster, stats, fallbackProtocol);
        }
        finally
        {
            stats.ResponseCodes.Record(context.Response.StatusCode);
            stats.RequestTime.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task ForwardCoreAsync(HttpContext context, string clusterName, ClusterStats stats, ServiceProtocol fallbackProtocol)
    {
        var snapshot = snapshots.Current;
        if (!snapshot.Clusters.TryGetValue(clusterName, out var cluster) || cluster.HealthyEndpoints.Length == 0)
        {
            stats.NoHealthyUpstream.Increment();
            await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.NoHealthyUpstreamBody);
            return;
        }

        var client = clients.For(cluster.Protocol == ServiceProtocol.Unspecified ? fallbackProtocol : cluster.Protocol);
        var candidates = cluster.HealthyEndpoints;
        for (var attempt = 1; ; attempt++)
        {
            // The retry picks the least loaded of the remaining endpoints rather than asking the cluster's balancer
            // again: a second round-robin turn would move the rotation on, and every other request would then meet
            // the failed endpoint first.
            var endpoint = attempt == 1 ? cluster.LoadBalancer.Pick(candidates) : LeastRequestLoadBalancer.Instance.Pick(candidates);
            ForwarderError error;
            endpoint.Load.Started();
            try
            {
                error = await forwarder.SendAsync(context, endpoint.DestinationPrefix, client.Invoker, client.RequestConfig, HttpTransformer.Empty);
            }
            finally
            {
                endpoint.Load.Finished();
            }

            if (!ForwardingOutcome.IsConnectFailure(context, error))
            {
                return;
            }

            stats.ConnectFailures.Increment();
            logger.LogDebug("Connect to {Cluster} endpoint {Address} failed.", clusterName, endpoint.Address);
            candidates = Array.FindAll(candidates, e => !ReferenceEquals(e, endpoint));
            if (attempt == MaxAttempts || candidates.Length == 0)
            {
                logger.LogWarning("Request to {Cluster} failed after {Attempts} attempt(s): could not connect to {Address}.", clusterName, attempt, endpoint.Address);
                await ForwardingOutcome.WriteLocalReplyAsync(context, StatusCodes.Status503ServiceUnavailable, ForwardingOutcome.ConnectFailureBody);
                return;
            }

            stats.Retries.Increment();
            ForwardingOutcome.ResetForRetry(context);
        }
    }
}
