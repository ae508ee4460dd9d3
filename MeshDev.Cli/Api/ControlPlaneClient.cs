using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.Cli.Api;

/// <summary>
/// The control plane's HTTP API (and the proxies' admin listeners it points to). Connection failures become a
/// <see cref="MeshctlException"/> naming the address, because that is what a user has to fix. The API token goes to
/// the control plane only, never to a proxy's admin listener.
/// </summary>
public sealed class ControlPlaneClient(Uri baseAddress, string? token = null, HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null)
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public Uri BaseAddress { get; } = baseAddress;

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, path)), cancellationToken);

    public Task<ApiResponse> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(BaseAddress, path)), cancellationToken);

    public Task<ApiResponse> PostYamlAsync(string path, string yaml, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, path))
        {
            Content = new StringContent(yaml, Encoding.UTF8, new MediaTypeHeaderValue("application/yaml")),
        };
        return SendAsync(request, cancellationToken);
    }

    /// <summary>GET on another listener (a proxy's admin URL); failures name that listener, not the control plane.</summary>
    public async Task<ApiResponse> GetElsewhereAsync(Uri url, string whatItIs, CancellationToken cancellationToken)
    {
        try
        {
            return await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);
        }
        catch (Exception ex) when (IsUnreachable(ex, cancellationToken))
        {
            throw new MeshctlException($"cannot reach {whatItIs} at {url}: {Reason(ex)}", ExitCodes.UsageOrUnreachable);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            var response = await SendCoreAsync(request, cancellationToken);
            return response.Status == System.Net.HttpStatusCode.Unauthorized
                ? throw new MeshctlException(
                    $"the control plane at {BaseAddress.ToString().TrimEnd('/')} refused the request: {response.ErrorText} " +
                    $"meshctl takes the token from --token, else {Commands.GlobalOptions.TokenVariable}, else {Commands.GlobalOptions.TokenFile} " +
                    $"in the current folder, a folder directly inside it or one above it{(token is null ? "; it found none" : "")}.",
                    ExitCodes.UsageOrUnreachable)
                : response;
        }
        catch (Exception ex) when (IsUnreachable(ex, cancellationToken))
        {
            throw new MeshctlException($"cannot reach the control plane at {BaseAddress.ToString().TrimEnd('/')}: {Reason(ex)}", ExitCodes.UsageOrUnreachable);
        }
    }

    private async Task<ApiResponse> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var raw = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ApiResponse(response.StatusCode, TryParse(raw), raw);
        }
    }

    private static JsonNode? TryParse(string raw)
    {
        try
        {
            return raw.Length == 0 ? null : JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // HttpClient reports its own timeout as a cancellation; only the caller's token means "the user stopped us".
    private static bool IsUnreachable(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Reason(Exception ex) => ex switch
    {
        TaskCanceledException => "no answer within 30 s",
        HttpRequestException { InnerException: { } inner } http when http.Message.Contains("error occurred while sending") => inner.Message,
        _ => ex.Message,
    };
}
