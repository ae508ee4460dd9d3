using System.Net;
using System.Net.Sockets;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// A loopback address whose connects never complete: a listener that never accepts, with its accept queue filled, so
/// the kernel drops further SYNs and a connect runs into its timeout (what a host that went silent looks like).
/// </summary>
public sealed class BlackholeEndpoint : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private BlackholeEndpoint(Socket listener) => _listener = listener;

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    public static async Task<BlackholeEndpoint> StartAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var blackhole = new BlackholeEndpoint(listener);
        for (var i = 0; i < 16; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            blackhole._fillers.Add(filler);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(listener.LocalEndPoint!, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The queue is full: this connect hung, so will the proxy's.
                return blackhole;
            }
        }

        blackhole.Dispose();
        throw new InvalidOperationException("The accept queue never filled; connects to a non-accepting listener did not hang.");
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
