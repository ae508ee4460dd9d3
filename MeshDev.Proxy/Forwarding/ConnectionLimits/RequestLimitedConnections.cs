using System.Net.Sockets;

namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>Builds the HTTP/1.1 handler whose connections each serve at most a given number of requests.</summary>
internal static class RequestLimitedConnections
{
    /// <summary>
    /// Wraps <paramref name="handler"/> so that each of its connections serves at most
    /// <paramref name="maxRequestsPerConnection"/> requests. The count is kept on the stream the handler's own
    /// ConnectCallback gives (the mTLS one, which then carries it), or on a plain TCP connection when it has none.
    /// </summary>
    public static HttpMessageHandler Limit(SocketsHttpHandler handler, int maxRequestsPerConnection)
    {
        var connect = handler.ConnectCallback ?? ConnectAsync;
        handler.ConnectCallback = async (context, cancellationToken) =>
            new RequestLimitedStream(await connect(context, cancellationToken), maxRequestsPerConnection);
        return new UpstreamRequestMark.Handler(handler);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // What SocketsHttpHandler does without a callback: one TCP connection, Nagle off.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
