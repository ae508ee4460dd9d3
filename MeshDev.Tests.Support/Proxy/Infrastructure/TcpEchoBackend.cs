using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// A real TCP app on 127.0.0.1 with an OS-assigned port. Every connection first gets the backend's name and a newline
/// (so a test sees which instance it reached), then an echo of every byte it sends; when the client ends its sending
/// side, the backend ends its own after the last echo. In <see cref="TcpEchoMode.CloseWriteFirst"/> it ends its sending
/// side right after the name instead and keeps reading, recording what arrives.
/// </summary>
public sealed class TcpEchoBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly TcpEchoMode _mode;
    private int _accepted;

    private TcpEchoBackend(string name, Socket listener, TcpEchoMode mode)
    {
        Name = name;
        _listener = listener;
        _mode = mode;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>host:port, the form snapshot endpoints take.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public Uri Url => new($"tcp://127.0.0.1:{Port}");

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>
    /// What each connection sent before it ended its side, in the order the connections ended (the sidecar's TCP health
    /// probes among them, as empty entries).
    /// </summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public static TcpEchoBackend Start(string name, TcpEchoMode mode = TcpEchoMode.Echo)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        return new TcpEchoBackend(name, listener, mode);
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            var received = new MemoryStream();
            try
            {
                await connection.SendAsync(Encoding.UTF8.GetBytes(Name + "\n"), SocketFlags.None, _stopping.Token);
                if (_mode == TcpEchoMode.CloseWriteFirst)
                {
                    connection.Shutdown(SocketShutdown.Send);
                }

                var buffer = new byte[8192];
                while (true)
                {
                    var read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    received.Write(buffer, 0, read);
                    if (_mode == TcpEchoMode.Echo)
                    {
                        await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
                    }
                }

                Received.Enqueue(Encoding.UTF8.GetString(received.ToArray()));
                if (_mode == TcpEchoMode.Echo)
                {
                    connection.Shutdown(SocketShutdown.Send);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
    }
}

public enum TcpEchoMode
{
    /// <summary>Name, then an echo; the backend half-closes after the client does.</summary>
    Echo,

    /// <summary>Name, then the backend half-closes at once and only reads.</summary>
    CloseWriteFirst,
}
