using System.Net;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MeshDev.ControlPlane;

public enum ControlPlaneListener
{
    Http,
    Grpc,
}

/// <summary>
/// The two Kestrel listeners: HTTP/1.1 for the API and dashboard, cleartext HTTP/2 for gRPC. Each connection is
/// tagged with its listener so routing can keep gRPC off the HTTP port and the API off the gRPC port, whatever
/// port numbers the OS handed out.
/// </summary>
public sealed class ControlPlaneListeners(ControlPlaneOptions options)
{
    private static readonly object ListenerKey = new();

    private ListenOptions? _http;
    private ListenOptions? _grpc;

    /// <summary>Base address of the API and dashboard. Resolved ports are known once the app has started.</summary>
    public Uri HttpAddress => AddressOf(_http, options.BindAddress, options.HttpPort);

    /// <summary>Address proxies dial for StreamConfig. Resolved ports are known once the app has started.</summary>
    public Uri GrpcAddress => AddressOf(_grpc, GrpcBindAddress, options.GrpcPort);

    // Proxies dial the control plane at 127.0.0.1 locally; an explicit bind address (a pod's) applies to both.
    private string GrpcBindAddress => IsLocalhost(options.BindAddress) ? "127.0.0.1" : options.BindAddress;

    public void Configure(KestrelServerOptions kestrel)
    {
        _http = Listen(kestrel, options.BindAddress, options.HttpPort, HttpProtocols.Http1, ControlPlaneListener.Http);
        _grpc = Listen(kestrel, GrpcBindAddress, options.GrpcPort, HttpProtocols.Http2, ControlPlaneListener.Grpc);
    }

    public static ControlPlaneListener? ListenerOf(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var listener) == true
            ? (ControlPlaneListener?)listener
            : null;

    /// <summary>Drops the matched endpoint when it belongs to the other listener, which turns the request into a 404.</summary>
    public static Task KeepEndpointsOnTheirListener(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint() is { } endpoint && ListenerOf(context) is { } listener)
        {
            var isGrpc = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;
            if (isGrpc != (listener == ControlPlaneListener.Grpc))
            {
                context.SetEndpoint(null);
            }
        }

        return next(context);
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, string bindAddress, int port, HttpProtocols protocols, ControlPlaneListener listener)
    {
        ListenOptions? captured = null;
        void Configure(ListenOptions listen)
        {
            captured ??= listen;
            listen.Protocols = protocols;
            listen.Use(next => connection =>
            {
                connection.Items[ListenerKey] = listener;
                return next(connection);
            });
        }

        // Kestrel refuses port 0 on "localhost" (two families cannot share one dynamic port): take IPv4 loopback.
        if (IsLocalhost(bindAddress) && port != 0)
        {
            kestrel.ListenLocalhost(port, Configure);
        }
        else if (IsLocalhost(bindAddress))
        {
            kestrel.Listen(IPAddress.Loopback, port, Configure);
        }
        else if (bindAddress is "*" or "+" or "0.0.0.0" or "::")
        {
            kestrel.ListenAnyIP(port, Configure);
        }
        else if (IPAddress.TryParse(bindAddress, out var address))
        {
            kestrel.Listen(address, port, Configure);
        }
        else
        {
            throw new InvalidOperationException(
                $"Configuration '{ControlPlaneOptions.BindAddressKey}' is '{bindAddress}'; expected 'localhost', '*' or an IP address.");
        }

        return captured ?? throw new InvalidOperationException($"Kestrel did not configure the {listener} listener.");
    }

    private static Uri AddressOf(ListenOptions? listen, string bindAddress, int configuredPort)
    {
        var port = configuredPort != 0 ? configuredPort : (listen?.IPEndPoint?.Port ?? 0);
        var host = IsLocalhost(bindAddress) && configuredPort != 0 ? "localhost"
            : bindAddress is "*" or "+" or "0.0.0.0" or "::" ? "127.0.0.1"
            : IsLocalhost(bindAddress) ? "127.0.0.1"
            : bindAddress.Contains(':') ? $"[{bindAddress}]" : bindAddress;
        return new Uri($"http://{host}:{port}");
    }

    private static bool IsLocalhost(string bindAddress) => string.Equals(bindAddress, "localhost", StringComparison.OrdinalIgnoreCase);
}
