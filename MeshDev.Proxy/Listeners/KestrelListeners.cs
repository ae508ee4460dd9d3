using System.Net;
using MeshDev.Proxy.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDev.Proxy.Listeners;

/// <summary>Opens one Kestrel endpoint per listener, speaking exactly the listener's protocol.</summary>
public static class KestrelListeners
{
    /// <param name="inboundSecurity">Set when the proxy has a workload identity: the inbound listener (HTTP or TCP) then takes mTLS too.</param>
    public static void Configure(KestrelServerOptions kestrel, ListenerDispatcher dispatcher, IConnectionSecurity? inboundSecurity = null)
    {
        kestrel.AddServerHeader = false;
        if (inboundSecurity is not null)
        {
            // A sidecar's HTTP/2 client sends :scheme http over the mTLS connection it was given (the TLS is the mesh's,
            // beneath HTTP), which Kestrel would otherwise refuse as a scheme that does not match the transport.
            kestrel.AllowAlternateSchemes = true;
        }

        foreach (var handler in dispatcher.Handlers)
        {
            var listener = handler.Description;
            var security = listener.Direction == ListenerDirection.Inbound ? inboundSecurity : null;
            Listen(kestrel, listener, o =>
            {
                o.DisableAltSvcHeader = true;
                if (ServiceProtocols.UsesHttp2(listener.Protocol))
                {
                    // Cleartext HTTP/2 cannot be told from HTTP/1.1 on the same port, so an HTTP/2 listener takes
                    // HTTP/2 with prior knowledge only (and h2 alone by ALPN under TLS).
                    o.Protocols = HttpProtocols.Http2;
                }
                else if (security is null)
                {
                    o.Protocols = HttpProtocols.Http1;
                }

                // Otherwise Kestrel's default set stays: a plaintext connection is HTTP/1.1 and a TLS one speaks what
                // ALPN chose, so HTTP/2 callers of an HTTP/1 service are served too.
                if (security is not null)
                {
                    o.Use(security.Wrap);
                }
            });
        }

        foreach (var handler in dispatcher.TcpHandlers)
        {
            var security = handler.Description.Direction == ListenerDirection.Inbound ? inboundSecurity : null;
            Listen(kestrel, handler.Description, o =>
            {
                // PeerAuthentication first, exactly as on an HTTP listener; the relay then sees decrypted bytes.
                if (security is not null)
                {
                    o.Use(security.Wrap);
                }

                // A terminal connection middleware: Kestrel's HTTP layer behind it is never reached.
                o.Run(handler.HandleConnectionAsync);
            });
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
