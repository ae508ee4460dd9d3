using Bookinfo.Ratings.V1;
using Grpc.Core;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

namespace Bookinfo.ProductPage.Upstreams;

// Ratings speaks only gRPC over HTTP/2 on the mesh, so productpage asks it through the same contract as reviews.
internal sealed partial class RatingsClient(RatingsGrpc.RatingsClient client, ILogger<RatingsClient> logger)
{
    public const string UnavailableError = "Sorry, product ratings are currently unavailable for this book.";

    // Istio's productpage gives the ratings call 3 s and a single attempt.
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);

    public async Task<UpstreamResult<ProductRatings>> GetRatingsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken)
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
            var reply = await client.GetRatingsAsync(
                new GetRatingsRequest { ProductId = productId },
                metadata,
                deadline: DateTime.UtcNow + s_timeout,
                cancellationToken);

            return UpstreamResult<ProductRatings>.Success(
                new ProductRatings(reply.Id, reply.Ratings.ToDictionary(pair => pair.Key, pair => pair.Value)));
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogRatingsFailed(logger, productId, ex.StatusCode, ex.Status.Detail);
            return UpstreamResult<ProductRatings>.Failure(StatusCodes.Status500InternalServerError, UnavailableError);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ratings for product {ProductId} unavailable: {StatusCode} {Detail}")]
    private static partial void LogRatingsFailed(ILogger logger, int productId, StatusCode statusCode, string detail);
}
