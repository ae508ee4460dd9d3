using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>A test's end of one TCP connection through a proxy: the instance's greeting, bytes out, bytes back.</summary>
public sealed class TcpTestClient : IAsyncDisposable
{
    private readonly Socket _socket;

    private TcpTestClient(Socket socket) => _socket = socket;

    public static async Task<TcpTestClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new TcpTestClient(socket);
    }

    /// <summary>Connects, ends its sending side at once and returns everything the other side sent ("" when it closed without a word).</summary>
    public static async Task<string> GreetingAsync(int port, TimeSpan? timeout = null)
    {
        await using var client = await ConnectAsync(port);
        client.ShutdownSend();
        return await client.ReadToEndAsync(timeout);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] data) => await _socket.SendAsync(data, SocketFlags.None);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until the other side ends its sending direction.</summary>
    /// <exception cref="TimeoutException">The other side did not end within the timeout.</exception>
    public async Task<string> ReadToEndAsync(TimeSpan? timeout = null) => Encoding.UTF8.GetString(await ReadBytesToEndAsync(timeout));

    public async Task<byte[]> ReadBytesToEndAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
                if (read == 0)
                {
                    return received.ToArray();
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The connection did not end within the timeout; received so far: '{Encoding.UTF8.GetString(received.ToArray())}'.");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A reset after the data is an end too; what arrived is what counts.
            return received.ToArray();
        }
    }

    /// <summary>Reads exactly one line (the backend's greeting), byte by byte so that nothing after it is consumed.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var line = new List<byte>();
        var one = new byte[1];
        while (await _socket.ReceiveAsync(one, SocketFlags.None, cancellation.Token) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return Encoding.UTF8.GetString(line.ToArray());
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
