using System.Net;
using System.Text.Json;

namespace Bookinfo.ProductPage.Upstreams;

// Mirrors Istio's productpage application, which gives each call to details and reviews 3 seconds and tries
// twice. It is part of the sample's behaviour, kept so that Istio's traffic-management walkthroughs (a 7 s
// delay injected for jason gives "Error fetching product reviews!" after about 6 s) read the same here. It is
// not a client resilience handler: MeshDev's services otherwise leave timeouts and retries to the mesh.
internal static partial class BookinfoHttpCall
{
    public const int Attempts = 2;
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(3);

    public static async Task<UpstreamResult<T>> GetJsonAsync<T>(
        HttpClient client,
        string path,
        PropagatedHeaders headers,
        string unavailableError,
        ILogger logger,
        CancellationToken cancellationToken) where T : class
    {
        var statusCode = StatusCodes.Status500InternalServerError;

        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(AttemptTimeout);

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                headers.ApplyTo(request.Headers);

                using var response = await client.SendAsync(request, attemptTimeout.Token);
                if (response.StatusCode == HttpStatusCode.OK &&
                    await response.Content.ReadFromJsonAsync<T>(attemptTimeout.Token) is { } value)
                {
                    return UpstreamResult<T>.Success(value);
                }

                statusCode = (int)response.StatusCode;
                LogAttemptFailed(logger, client.BaseAddress, path, attempt, $"HTTP {statusCode}");
            }
            catch (Exception ex) when ((ex is HttpRequestException or OperationCanceledException or JsonException)
                                       && !cancellationToken.IsCancellationRequested)
            {
                statusCode = StatusCodes.Status500InternalServerError;
                LogAttemptFailed(logger, client.BaseAddress, path, attempt,
                    ex is OperationCanceledException ? $"no answer within {AttemptTimeout.TotalSeconds} s" : ex.Message);
            }
        }

        return UpstreamResult<T>.Failure(statusCode, unavailableError);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GET {Path} on {Upstream} attempt {Attempt} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, Uri? upstream, string path, int attempt, string reason);
}
