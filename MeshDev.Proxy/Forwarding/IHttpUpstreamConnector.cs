namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Opens the connections of the upstream HTTP clients, in place of SocketsHttpHandler's own connect: Outbound's
/// <c>UpstreamTlsConnector</c>, which originates mutual TLS to mesh sidecars.
/// </summary>
public interface IHttpUpstreamConnector
{
    ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken);
}
