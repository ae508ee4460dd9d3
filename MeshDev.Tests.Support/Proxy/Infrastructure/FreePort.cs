using System.Net;
using System.Net.Sockets;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// Ports for the proxy's listeners. The proxy binds explicit ports (its listeners are told apart by port), so a test
/// asks the OS for a free one and hands it over.
/// </summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
