using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Tcp;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;
using Microsoft.AspNetCore.Connections;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// The outbound path of a TCP connection, Envoy's tcp_proxy in Istio's configuration: the first tcp route of the
/// listener's table (or the service itself), its destination by weight, once per connection; then a healthy endpoint
/// of the destination's subset that outlier detection has not ejected, picked by the subset's balancer, within
/// tcp.maxConnections (beyond it the connection is closed: upstream_cx_overflow); one connect within
/// tcp.connectTimeout (a failure closes the connection and counts for outlier detection as a gateway error, so a dead
/// endpoint is ejected); then bytes both ways until both sides have ended. Every connection is reported to Istio's
/// TCP metrics, as the source, with the endpoint it went to.
/// </summary>
public sealed class TcpForwarder(
    ISnapshotSource<IOutboundSnapshot> snapshots,
    ITcpUpstreamConnector connector,
    StatsRegistry stats,
    ITcpTelemetry telemetry,
    ProxyOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<TcpForwarder> logger)
{
    public async Task ForwardAsync(ConnectionContext connection, string tableName, CompiledTcpRoute defaultRoute)
    {
        var snapshot = snapshots.Current;
        var route = snapshot.RouteTables.TryGetValue(tableName, out var table) && table.TcpRoutes.Length > 0 ? table.TcpRoutes[0] : defaultRoute;
        var destination = route.PickDestination();
        var clusterStats = destination.TcpStats ??= stats.TcpCluster(destination.Service);

        if (!snapshot.Clusters.TryGetValue(destination.Service, out var cluster)
            || cluster.Select(destination.Subset) is not { HealthyEndpoints.Length: > 0 } endpoints)
        {
            clusterStats.NoHealthyUpstream.Increment();
            telemetry.OutboundOpened(destination.Service, endpoint: null).Closed(ResponseFlags.NoHealthyUpstream);
            logger.LogWarning("TCP connection for {Service} closed: no healthy endpoint of {Cluster}{Subset}.",
                tableName, destination.Service, destination.Subset.Length == 0 ? "" : $" subset {destination.Subset}");
            return;
        }

        var available = endpoints.Available(clusterStats.Cluster);
        if (available.Length == 0)
        {
            clusterStats.NoHealthyUpstream.Increment();
            telemetry.OutboundOpened(destination.Service, endpoint: null).Closed(ResponseFlags.NoHealthyUpstream);
            return;
        }

        // A TCP connection has no pending queue to wait in: at max_connections it is refused at once, as in Envoy.
        var stopping = lifetime.ApplicationStopping;
        if (await endpoints.Breaker.AcquireAsync(endpoints.Limits with { MaxPending = 0 }, stopping) != Admission.Admitted)
        {
            clusterStats.Cluster.ConnectionOverflow.Increment();
            telemetry.OutboundOpened(destination.Service, endpoint: null).Closed(ResponseFlags.UpstreamOverflow);
            return;
        }

        try
        {
            var endpoint = endpoints.Pick((connection.RemoteEndPoint as IPEndPoint)?.Address, available);
            endpoint.Load.Started();
            var connectionTelemetry = telemetry.OutboundOpened(destination.Service, endpoint);
            var flags = ResponseFlags.None;
            try
            {
                await using var upstream = await ConnectAsync(endpoint, endpoints, destination, clusterStats, stopping);
                if (upstream is null)
                {
                    flags = ResponseFlags.UpstreamConnectionFailure;
                    return;
                }

                clusterStats.ConnectionsTotal.Increment();
                clusterStats.ConnectionsActive.Increment();
                try
                {
                    await using var downstream = new KestrelConnectionDuplex(connection);
                    await TcpRelay.RunAsync(
                        downstream,
                        upstream,
                        toUpstream: bytes =>
                        {
                            clusterStats.BytesSent.Add(bytes);
                            connectionTelemetry.Received(bytes);
                        },
                        toDownstream: bytes =>
                        {
                            clusterStats.BytesReceived.Add(bytes);
                            connectionTelemetry.Sent(bytes);
                        },
                        stopping);
                }
                finally
                {
                    clusterStats.ConnectionsActive.Decrement();
                }
            }
            finally
            {
                connectionTelemetry.Closed(flags);
                endpoint.Load.Finished();
            }
        }
        finally
        {
            endpoints.Breaker.Release();
        }
    }

    /// <returns>Null when the connect failed (already counted and logged).</returns>
    private async Task<ITcpDuplex?> ConnectAsync(UpstreamEndpoint endpoint, EndpointSet endpoints, RouteDestination destination, TcpClusterStats clusterStats, CancellationToken stopping)
    {
        var pool = endpoints.Traffic.ConnectionPool;
        var timeout = pool is { ConnectTimeoutMs: > 0 } ? TimeSpan.FromMilliseconds(pool.ConnectTimeoutMs) : options.Tuning.ConnectTimeout;
        var started = Stopwatch.GetTimestamp();
        string failure;
        try
        {
            var upstream = await connector.ConnectAsync(destination.Service, endpoint, timeout, stopping);
            clusterStats.ConnectTime.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            // A connect that succeeds ends a run of connect failures, as Envoy reports it to outlier detection.
            endpoints.Outlier?.Record(endpoint, StatusCodes.Status200OK, clusterStats.Cluster);
            return upstream;
        }
        catch (TimeoutException)
        {
            clusterStats.ConnectTimeouts.Increment();
            failure = $"no connection within {timeout.TotalMilliseconds:0} ms";
        }
        catch (SocketException e)
        {
            failure = SocketErrors.Describe(e);
        }
        catch (IOException e)
        {
            // A failed mTLS handshake: for outlier detection the endpoint could not be reached, as on the HTTP hop.
            failure = e.Message;
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        clusterStats.Cluster.ConnectFailures.Increment();
        // A connect failure is a gateway error (and a 5xx) to outlier detection, as Envoy counts it.
        endpoints.Outlier?.Record(endpoint, 0, clusterStats.Cluster);
        logger.LogWarning("TCP connection to {Cluster} endpoint {Address} failed: {Reason}; the downstream connection is closed.",
            destination.Service, endpoint.Address, failure);
        return null;
    }
}
