using MeshDev.Core.Discovery;
using MeshDev.Proxy.Forwarding;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// Envoy's request mirroring (Istio's mirror): a copy of the request goes to the mirror's cluster, fire and forget.
/// The copy never delays or changes what the client gets, and its response and errors are dropped. Its Host gets
/// Envoy's "-shadow" suffix so that the mirror can tell copies from real traffic.
/// </summary>
public sealed class RequestMirror(UpstreamClients clients, ILogger<RequestMirror> logger)
{
    // A copy that takes longer than this is abandoned; nothing waits for it anyway.
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromSeconds(30);

    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Content-Length",
    };

    /// <summary>Starts the copy of a request whose body (if any) is buffered; returns at once.</summary>
    /// <returns>False when the copy could not be started (the body is streamed, or the mirror has no endpoint).</returns>
    public async ValueTask<bool> TryMirrorAsync(HttpContext context, RouteMirror mirror, IOutboundSnapshot snapshot, ServiceProtocol fallbackProtocol, RequestBodyKind body, RouteStats routeStats)
    {
        if (body is RequestBodyKind.Streamed or RequestBodyKind.Recorded
            || !snapshot.Clusters.TryGetValue(mirror.Service, out var cluster)
            || cluster.Select(mirror.Subset) is not { HealthyEndpoints.Length: > 0 } endpoints)
        {
            return false;
        }

        var endpoint = endpoints.LoadBalancer.Pick(endpoints.HealthyEndpoints);
        var request = context.Request;
        var copy = new HttpRequestMessage(new HttpMethod(request.Method), endpoint.DestinationPrefix + request.PathBase + request.Path + request.QueryString);
        if (body == RequestBodyKind.Buffered)
        {
            // The buffered body is shared with the real request, so the copy takes its own bytes before forwarding reads it.
            var bytes = new byte[request.ContentLength ?? 0];
            request.Body.Position = 0;
            await request.Body.ReadExactlyAsync(bytes, context.RequestAborted);
            request.Body.Position = 0;
            copy.Content = new ByteArrayContent(bytes);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (NotCopied.Contains(name))
            {
                continue;
            }

            if (!copy.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && copy.Content is not null)
            {
                copy.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        copy.Headers.Host = ShadowHost(request.Host.Value ?? endpoint.Address);
        var client = clients.For(cluster.Protocol == ServiceProtocol.Unspecified ? fallbackProtocol : cluster.Protocol, endpoints.Traffic.ConnectionPool);
        copy.Version = client.RequestConfig.Version ?? copy.Version;
        copy.VersionPolicy = client.RequestConfig.VersionPolicy ?? copy.VersionPolicy;
        routeStats.Mirrored.Increment();
        _ = SendAsync(client.Invoker, copy, mirror.Service);
        return true;
    }

    /// <summary>Envoy's shadow host: "reviews:9080" becomes "reviews-shadow:9080".</summary>
    public static string ShadowHost(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] + "-shadow" + host[colon..] : host + "-shadow";
    }

    private async Task SendAsync(HttpMessageInvoker invoker, HttpRequestMessage copy, string service)
    {
        try
        {
            using (copy)
            using (var timeout = new CancellationTokenSource(CopyTimeout))
            using (var response = await invoker.SendAsync(copy, timeout.Token).ConfigureAwait(false))
            {
                // Drain so that the connection goes back to the pool.
                await response.Content.CopyToAsync(Stream.Null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or IOException)
        {
            logger.LogDebug("Mirrored request to {Cluster} failed: {Reason}", service, exception.Message);
        }
    }
}
