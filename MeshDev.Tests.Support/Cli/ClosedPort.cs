using System.Net;
using System.Net.Sockets;

namespace MeshDev.Tests.Cli;

public static class ClosedPort
{
    /// <summary>A loopback URL nothing listens on: a port the OS handed out and that was closed again.</summary>
    public static Uri Url()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
