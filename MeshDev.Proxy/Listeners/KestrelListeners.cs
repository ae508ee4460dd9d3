using System.Net;
using MeshDev.Proxy.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDev.Proxy.Listeners;

/// <summary>Opens one Kestrel endpoint per listener, speaking exactly the listener's protocol.</summary>
public static class KestrelListeners
{
    public static void Configure(KestrelServerOptions kestrel, IEnumerable<ListenerDescription> listeners)
    {
        kestrel.AddServerHeader = false;
        foreach (var listener in listeners)
        {
            // Cleartext HTTP/2 cannot be told from HTTP/1.1 on the same port, so an HTTP/2 listener takes HTTP/2
            // with prior knowledge only.
            var protocols = ServiceProtocols.UsesHttp2(listener.Protocol) ? HttpProtocols.Http2 : HttpProtocols.Http1;
            if (listener.BindAddress == "localhost")
            {
                kestrel.ListenLocalhost(listener.Port, o => o.Protocols = protocols);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(listener.BindAddress.Trim('[', ']')), listener.Port, o => o.Protocols = protocols);
            }
        }
    }
}
