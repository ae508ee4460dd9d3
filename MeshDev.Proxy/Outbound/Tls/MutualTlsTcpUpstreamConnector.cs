using System.Net.Sockets;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Tcp;

namespace MeshDev.Proxy.Outbound.Tls;

/// <summary>
/// The TCP hop of a proxy with a workload identity: the same decision and the same handshake as the HTTP hop
/// (<see cref="UpstreamTlsConnector"/>): an endpoint the current snapshot gives an identity, in a cluster whose TLS is
/// not DISABLE, is reached over mTLS and must present that SPIFFE ID; any other is reached in plaintext. No ALPN is
/// offered: the bytes are the app's own protocol, which the peer sidecar relays as they come.
/// </summary>
public sealed class MutualTlsTcpUpstreamConnector(ISnapshotSource<IOutboundSnapshot> snapshots, UpstreamTlsConnector tls) : ITcpUpstreamConnector
{
    public async ValueTask<ITcpDuplex> ConnectAsync(string cluster, UpstreamEndpoint endpoint, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var snapshot = snapshots.Current;
        var target = snapshot.Security.Upstream(endpoint.Address);
        var socket = await TcpConnect.ConnectAsync(TcpConnect.ParseAddress(endpoint.Address), connectTimeout, cancellationToken);
        var stats = tls.Stats(cluster);
        if (target is null)
        {
            stats.PlaintextConnections.Increment();
            return socket;
        }

        // The handshake is part of reaching the endpoint, so it gets the connect timeout too: a peer that accepts
        // the connection and never answers the ClientHello must not hold the caller's connection forever.
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(connectTimeout);
        try
        {
            var stream = await tls.AuthenticateAsync(
                new NetworkStream(socket.Socket, ownsSocket: false), endpoint.Address, target, snapshot, applicationProtocols: null, handshakeTimeout.Token);
            stats.MutualTlsConnections.Increment();
            return new SslStreamDuplex(stream, socket);
        }
        catch (Exception e)
        {
            await socket.DisposeAsync();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                stats.ConnectionErrors.Increment();
                throw new TimeoutException($"mTLS handshake with {target.Cluster} endpoint {endpoint.Address} did not complete within {connectTimeout.TotalMilliseconds:0} ms");
            }

            throw;
        }
    }
}
