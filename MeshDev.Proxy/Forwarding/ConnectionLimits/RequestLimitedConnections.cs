using System.Net.Sockets;

namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>Builds the HTTP/1.1 handler whose connections each serve at most a given number of requests.</summary>
internal static class RequestLimitedConnections
{
    /// <summary>
    /// Wraps <paramref name="handler"/> so that each of its connections serves at most
    /// <paramref name="maxRequestsPerConnection"/> requests. Replaces the handler's ConnectCallback.
    /// </summary>
    public static HttpMessageHandler Limit(SocketsHttpHandler handler, int maxRequestsPerConnection)
    {
        handler.ConnectCallback = (context, cancellationToken) => ConnectAsync(context, maxRequestsPerConnection, cancellationToken);
        return new UpstreamRequestMark.Handler(handler);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, int maxRequests, CancellationToken cancellationToken)
    {
        // What SocketsHttpHandler does without a callback: one TCP connection, Nagle off.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new RequestLimitedStream(new NetworkStream(socket, ownsSocket: true), maxRequests);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
