using System.Collections.Concurrent;
using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding.ConnectionLimits;
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
    private readonly ProxyOptions _options;
    private readonly ConcurrentDictionary<(bool Http2, TimeSpan ConnectTimeout, TimeSpan IdleTimeout, int MaxRequestsPerConnection), UpstreamClient> _tuned = new();
    private readonly Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? _connect;

    /// <param name="connector">Set when the proxy has a workload identity: it opens every upstream connection and originates mTLS where the snapshot says so.</param>
    public UpstreamClients(ProxyOptions options, IHttpUpstreamConnector? connector = null)
    {
        _options = options;
        _connect = connector is null ? null : connector.ConnectAsync;
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

    /// <summary>
    /// The client for a cluster whose connectionPool sets tcp.connectTimeout, an idle timeout or
    /// maxRequestsPerConnection: its own connection pool with those settings, shared by every cluster with the same
    /// ones. Other clusters share the protocol's pool.
    /// </summary>
    public UpstreamClient For(ServiceProtocol protocol, ConnectionPool? pool)
    {
        var http2 = ServiceProtocols.UsesHttp2(protocol);
        var maxRequestsPerConnection = pool is null ? 0 : (int)Math.Min(pool.MaxRequestsPerConnection, int.MaxValue);
        if (pool is null || (pool.ConnectTimeoutMs <= 0 && pool.IdleTimeoutMs <= 0 && maxRequestsPerConnection == 0))
        {
            return For(protocol);
        }

        var key = (http2,
            pool.ConnectTimeoutMs > 0 ? TimeSpan.FromMilliseconds(pool.ConnectTimeoutMs) : _options.Tuning.ConnectTimeout,
            pool.IdleTimeoutMs > 0 ? TimeSpan.FromMilliseconds(pool.IdleTimeoutMs) : TimeSpan.Zero,
            maxRequestsPerConnection);
        return _tuned.GetOrAdd(key, static (k, self) =>
        {
            var shared = k.Http2 ? self._http2 : self._http11;
            return new UpstreamClient(self.CreateInvoker(k.Http2, k.ConnectTimeout, k.IdleTimeout, k.MaxRequestsPerConnection), shared.RequestConfig);
        }, this);
    }

    public void Dispose()
    {
        _http11.Invoker.Dispose();
        _http2.Invoker.Dispose();
        foreach (var client in _tuned.Values)
        {
            client.Invoker.Dispose();
        }
    }

    private HttpMessageInvoker CreateInvoker(ProxyOptions options) => CreateInvoker(http2: false, options.Tuning.ConnectTimeout, TimeSpan.Zero, maxRequestsPerConnection: 0);

    // SocketsHttpHandler's own default.
    private static readonly TimeSpan DefaultPooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);

    /// <param name="idleTimeout">Zero: the handler's default for idle pooled connections.</param>
    /// <param name="maxRequestsPerConnection">Zero: unlimited; otherwise each connection serves at most this many requests.</param>
    private HttpMessageInvoker CreateInvoker(bool http2, TimeSpan connectTimeout, TimeSpan idleTimeout, int maxRequestsPerConnection)
    {
        HttpMessageHandler handler = maxRequestsPerConnection <= 0 ? CreateHandler(connectTimeout, idleTimeout)
            : http2 ? new Http2RequestLimitedHandler(() => CreateHandler(connectTimeout, idleTimeout), maxRequestsPerConnection)
            : RequestLimitedConnections.Limit(CreateHandler(connectTimeout, idleTimeout), maxRequestsPerConnection);
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, TimeSpan idleTimeout) => new()
    {
        // A proxy passes requests through as they are: no system proxy, redirects, cookies or decompression of
        // its own, and no trace headers until the mesh propagates traces deliberately.
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = connectTimeout,
        PooledConnectionIdleTimeout = idleTimeout > TimeSpan.Zero ? idleTimeout : DefaultPooledConnectionIdleTimeout,
        ActivityHeadersPropagator = null,
        ConnectCallback = _connect,
    };
}

/// <summary>An invoker with the request settings that make YARP speak one protocol.</summary>
public sealed record UpstreamClient(HttpMessageInvoker Invoker, ForwarderRequestConfig RequestConfig);
