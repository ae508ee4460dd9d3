using System.Net;
using MeshDev.Proxy.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDev.Proxy.Listeners;

/// <summary>Opens one Kestrel endpoint per listener, speaking exactly the listener's protocol.</summary>
public static class KestrelListeners
{
    public static void Configure(KestrelServerOptions kestrel, ListenerDispatcher dispatcher)
    {
        kestrel.AddServerHeader = false;
        foreach (var handler in dispatcher.Handlers)
        {
            // Cleartext HTTP/2 cannot be told from HTTP/1.1 on the same port, so an HTTP/2 listener takes HTTP/2
            // with prior knowledge only.
            var protocols = ServiceProtocols.UsesHttp2(handler.Description.Protocol) ? HttpProtocols.Http2 : HttpProtocols.Http1;
            Listen(kestrel, handler.Description, o => o.Protocols = protocols);
        }

        foreach (var handler in dispatcher.TcpHandlers)
        {
            // A terminal connection middleware: Kestrel's HTTP layer behind it is never reached.
            Listen(kestrel, handler.Description, o => o.Run(handler.HandleConnectionAsync));
        }
    }

    private static void Listen(KestrelServerOptions kestrel, ListenerDescription listener, Action<ListenOptions> configure)
    {
        if (listener.BindAddress == "localhost")
        {
            kestrel.ListenLocalhost(listener.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(listener.BindAddress.Trim('[', ']')), listener.Port, configure);
        }
    }
}
