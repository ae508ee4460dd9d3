using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// The HTTP clients every hop uses, one per wire protocol: HTTP/1.1, or HTTP/2 with prior knowledge. Each hop speaks
/// exactly its service's protocol (Istio's port-protocol model), so the version policy is exact, never negotiated.
/// </summary>
public sealed class UpstreamClients : IDisposable
{
    private readonly UpstreamClient _http11;
    private readonly UpstreamClient _http2;

    public UpstreamClients(ProxyOptions options)
    {
        _http11 = new UpstreamClient(CreateInvoker(options), new ForwarderRequestConfig
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            ActivityTimeout = options.Tuning.StreamIdleTimeout,
        });
        _http2 = new UpstreamClient(CreateInvoker(options), new ForwarderRequestConfig
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            ActivityTimeout = options.Tuning.StreamIdleTimeout,
        });
    }

    public UpstreamClient For(ServiceProtocol protocol) => ServiceProtocols.UsesHttp2(protocol) ? _http2 : _http11;

    public void Dispose()
    {
        _http11.Invoker.Dispose();
        _http2.Invoker.Dispose();
    }

    private static HttpMessageInvoker CreateInvoker(ProxyOptions options) => new(new SocketsHttpHandler
    {
        // A proxy passes requests through as they are: no system proxy, redirects, cookies or decompression of
        // its own, and no trace headers until the mesh propagates traces deliberately.
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = options.Tuning.ConnectTimeout,
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);
}

/// <summary>An invoker with the request settings that make YARP speak one protocol.</summary>
public sealed record UpstreamClient(HttpMessageInvoker Invoker, ForwarderRequestConfig RequestConfig);
