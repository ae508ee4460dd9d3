using System.Buffers;
using System.Net.Sockets;

namespace MeshDev.Proxy.Tcp;

/// <summary>
/// Pipes bytes both ways between two connections, as Envoy's tcp_proxy does. Each direction runs until its reader
/// sees the end of the stream and then ends the same direction on the other side (half-close), so a client that
/// shuts down its sending side still reads the whole answer. A direction that breaks (reset, error) resets both.
/// </summary>
public static class TcpRelay
{
    private const int BufferSize = 16 * 1024;

    /// <param name="toUpstream">Told of the bytes the downstream sent on to the upstream, as each write completes.</param>
    /// <param name="toDownstream">Told of the bytes the upstream sent back to the downstream, as each write completes.</param>
    /// <returns>True when both directions ended with a FIN; false when the connection was reset or cut off.</returns>
    public static async Task<bool> RunAsync(ITcpDuplex downstream, ITcpDuplex upstream, Action<int> toUpstream, Action<int> toDownstream, CancellationToken cancellationToken)
    {
        var up = CopyAsync(downstream, upstream, toUpstream, cancellationToken);
        var down = CopyAsync(upstream, downstream, toDownstream, cancellationToken);
        var first = await Task.WhenAny(up, down);
        if (!await first)
        {
            // The other direction may sit in a read that would never end; a reset ends both.
            downstream.Abort();
            upstream.Abort();
        }

        var upEnded = await up;
        var downEnded = await down;
        return upEnded && downEnded;
    }

    private static async Task<bool> CopyAsync(ITcpDuplex from, ITcpDuplex to, Action<int> relayed, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    await to.ShutdownWriteAsync();
                    return true;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                relayed(read);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Kestrel reports a reset as an IOException (ConnectionResetException) and an abort as
            // ConnectionAbortedException (an OperationCanceledException); reading after an abort is an InvalidOperationException.
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
