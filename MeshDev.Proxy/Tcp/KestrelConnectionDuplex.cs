using System.Buffers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace MeshDev.Proxy.Tcp;

/// <summary>
/// A connection Kestrel accepted on a TCP listener. Reading goes through Kestrel's transport. Kestrel cannot
/// half-close: completing its output shuts the socket down both ways. So while the connection's bytes are the
/// socket's own, bytes toward the peer are sent on the accepted socket itself and ending that direction is a FIN on
/// it. When connection middleware transforms the bytes (TLS), writes must go through the transport
/// (<c>writeToSocket: false</c>), and ending the direction then closes the connection.
/// </summary>
public sealed class KestrelConnectionDuplex : ITcpDuplex
{
    private readonly ConnectionContext _connection;
    private readonly Socket? _socket;

    /// <param name="writeToSocket">False when middleware transforms the transport's bytes (TLS): writes must go through it.</param>
    public KestrelConnectionDuplex(ConnectionContext connection, bool writeToSocket = true)
    {
        _connection = connection;
        _socket = writeToSocket ? connection.Features.Get<IConnectionSocketFeature>()?.Socket : null;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var input = _connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var available = result.Buffer;
            if (!available.IsEmpty)
            {
                var length = (int)Math.Min(available.Length, buffer.Length);
                available.Slice(0, length).CopyTo(buffer.Span);
                input.AdvanceTo(available.GetPosition(length));
                return length;
            }

            input.AdvanceTo(available.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return 0;
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            await _connection.Transport.Output.WriteAsync(data, cancellationToken);
            return;
        }

        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public async ValueTask ShutdownWriteAsync()
    {
        if (_socket is null)
        {
            await _connection.Transport.Output.CompleteAsync();
            if (_connection.Features.Get<ISslStreamFeature>()?.SslStream is { } tls)
            {
                // Completing the decrypted transport sends nothing; TLS's half-close is its close_notify alert.
                try
                {
                    await tls.ShutdownAsync();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // The connection is already gone; the relay finds out on its next read.
                }
            }

            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Abort() => _connection.Abort(new ConnectionAbortedException("The other side of the relayed TCP connection broke."));

    /// <summary>Kestrel closes the connection when the handler returns.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
