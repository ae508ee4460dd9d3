using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Tcp;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// Opens the hop from this proxy to a mesh endpoint (a peer sidecar's inbound listener) for a TCP connection. It is
/// the one place that hop is made, so mutual TLS between sidecars can wrap it without touching the relay.
/// </summary>
public interface ITcpUpstreamConnector
{
    /// <param name="cluster">The mesh service the connection is for, for stats.</param>
    /// <exception cref="TimeoutException">The connect (or its TLS handshake) did not complete within <paramref name="connectTimeout"/>.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The endpoint refused or could not be reached.</exception>
    /// <exception cref="IOException">The mTLS handshake failed (the peer's certificate included).</exception>
    ValueTask<ITcpDuplex> ConnectAsync(string cluster, UpstreamEndpoint endpoint, TimeSpan connectTimeout, CancellationToken cancellationToken);
}

/// <summary>Plain TCP to the endpoint's address: the hop of a proxy without a workload identity.</summary>
public sealed class PlainTcpUpstreamConnector : ITcpUpstreamConnector
{
    public async ValueTask<ITcpDuplex> ConnectAsync(string cluster, UpstreamEndpoint endpoint, TimeSpan connectTimeout, CancellationToken cancellationToken) =>
        await TcpConnect.ConnectAsync(TcpConnect.ParseAddress(endpoint.Address), connectTimeout, cancellationToken);
}
