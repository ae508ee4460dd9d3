using System.Net.Security;

namespace MeshDev.Proxy.Tcp;

/// <summary>
/// A connection this proxy opened and secured with TLS: bytes go through the TLS stream, never the socket beneath it.
/// Ending the outgoing direction is TLS's own half-close, a close_notify alert (TLS 1.3 lets the other direction go
/// on), followed by a FIN; a reset still goes straight to the socket.
/// </summary>
public sealed class SslStreamDuplex(SslStream tls, SocketDuplex socket) : ITcpDuplex
{
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => tls.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => tls.WriteAsync(data, cancellationToken);

    public async ValueTask ShutdownWriteAsync()
    {
        try
        {
            await tls.ShutdownAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is already gone; the relay finds out on its next read.
        }

        await socket.ShutdownWriteAsync();
    }

    public void Abort() => socket.Abort();

    public async ValueTask DisposeAsync()
    {
        await tls.DisposeAsync();
        await socket.DisposeAsync();
    }
}
