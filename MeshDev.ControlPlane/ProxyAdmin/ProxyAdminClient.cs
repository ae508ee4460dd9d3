using System.Net;

namespace MeshDev.ControlPlane.ProxyAdmin;

/// <summary>The admin listener of a proxy did not answer, or answered with an error.</summary>
public sealed class ProxyAdminUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads a proxy's admin listener (the adminUrl it registered) from the control plane, so the dashboard and tools
/// never need to reach proxies themselves. Its own HttpClient: no retries, short timeouts, because a proxy that
/// does not answer must never hold up the scrape of the others or an API call.
/// </summary>
public sealed class ProxyAdminClient : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public Task<string> GetPrometheusAsync(string adminUrl, TimeSpan timeout, CancellationToken cancellationToken) =>
        GetAsync(adminUrl, "stats/prometheus", timeout, cancellationToken);

    public Task<string> GetConfigDumpAsync(string adminUrl, TimeSpan timeout, CancellationToken cancellationToken) =>
        GetAsync(adminUrl, "config_dump", timeout, cancellationToken);

    private async Task<string> GetAsync(string adminUrl, string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(adminUrl, UriKind.Absolute, out var admin) || admin.Scheme is not ("http" or "https"))
        {
            throw new ProxyAdminUnavailableException($"admin URL '{adminUrl}' is not an absolute http URL");
        }

        var url = new Uri(admin, path);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            return response.IsSuccessStatusCode
                ? body
                : throw new ProxyAdminUnavailableException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProxyAdminUnavailableException($"{url} did not answer within {timeout.TotalSeconds:0.###} s", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new ProxyAdminUnavailableException($"{url}: {exception.Message}", exception);
        }
    }

    public void Dispose() => _http.Dispose();
}
