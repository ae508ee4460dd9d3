using Bookinfo.Ratings.V1;
using Grpc.Core;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

namespace Bookinfo.Reviews.Ratings;

internal sealed partial class GrpcRatingsClient(
    RatingsGrpc.RatingsClient client,
    ReviewsSettings settings,
    ILogger<GrpcRatingsClient> logger) : IRatingsClient
{
    public async Task<IReadOnlyDictionary<string, int>?> GetRatingsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken)
    {
        var metadata = new Metadata();
        if (headers.EndUser is { } endUser)
        {
            metadata.Add(PropagatedHeaders.EndUserHeader, endUser);
        }
        if (headers.RequestId is { } requestId)
        {
            metadata.Add(PropagatedHeaders.RequestIdHeader, requestId);
        }

        try
        {
            // The deadline is Istio's reviews timeout for this version; it travels as grpc-timeout, so the
            // mesh and the ratings service see it too.
            var reply = await client.GetRatingsAsync(
                new GetRatingsRequest { ProductId = productId },
                metadata,
                deadline: DateTime.UtcNow + settings.RatingsTimeout,
                cancellationToken);

            return reply.Ratings.ToDictionary(pair => pair.Key, pair => pair.Value);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogRatingsFailed(logger, productId, ex.StatusCode, ex.Status.Detail);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ratings for product {ProductId} unavailable: {StatusCode} {Detail}")]
    private static partial void LogRatingsFailed(ILogger logger, int productId, StatusCode statusCode, string detail);
}
