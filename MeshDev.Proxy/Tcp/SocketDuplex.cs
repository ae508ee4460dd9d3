using System.Net.Sockets;

namespace MeshDev.Proxy.Tcp;

/// <summary>A connection this proxy opened itself (to a peer sidecar or to its app): a socket it owns.</summary>
public sealed class SocketDuplex(Socket socket) : ITcpDuplex
{
    public Socket Socket { get; } = socket;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await Socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public ValueTask ShutdownWriteAsync()
    {
        try
        {
            // Sends are complete when SendAsync returns, so the FIN follows the last byte.
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection is already gone; the relay finds out on its next read.
        }

        return ValueTask.CompletedTask;
    }

    public void Abort()
    {
        try
        {
            // Linger 0: close with a reset rather than a FIN, so the peer sees the break as a break.
            Socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
