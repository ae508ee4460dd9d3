using System.Net.Http.Json;
using System.Text.Json;

namespace Bookinfo.Reviews.Ratings;

/// <summary>Istio's reviews-to-ratings call: GET /ratings/{id}, answered with {"id", "ratings": {reviewer: stars}}.</summary>
internal sealed partial class HttpRatingsClient(
    HttpClient client,
    ReviewsSettings settings,
    ILogger<HttpRatingsClient> logger) : IRatingsClient
{
    public async Task<IReadOnlyDictionary<string, int>?> GetRatingsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Istio's reviews timeout for this version.
        timeout.CancelAfter(settings.RatingsTimeout);
        // A message built by hand does not take the client's default version: ratings speaks HTTP/2 only.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ratings/{productId}")
        {
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
        };
        if (headers.EndUser is { } endUser)
        {
            request.Headers.Add(PropagatedHeaders.EndUserHeader, endUser);
        }
        if (headers.RequestId is { } requestId)
        {
            request.Headers.Add(PropagatedHeaders.RequestIdHeader, requestId);
        }

        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogRatingsFailed(logger, productId, $"HTTP {(int)response.StatusCode}");
                return null;
            }
            var body = await response.Content.ReadFromJsonAsync<RatingsResponse>(timeout.Token);
            return body?.Ratings;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            LogRatingsFailed(logger, productId, ex is OperationCanceledException ? $"no answer within {settings.RatingsTimeout.TotalMilliseconds} ms" : ex.Message);
            return null;
        }
    }

    private sealed record RatingsResponse(int Id, Dictionary<string, int> Ratings);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ratings for product {ProductId} unavailable: {Reason}")]
    private static partial void LogRatingsFailed(ILogger logger, int productId, string reason);
}
