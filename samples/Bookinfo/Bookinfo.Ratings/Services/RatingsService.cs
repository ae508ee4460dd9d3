using Bookinfo.Ratings.V1;
using Grpc.Core;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

namespace Bookinfo.Ratings.Services;

internal sealed partial class RatingsService(IRatingsStore store, ILogger<RatingsService> logger) : RatingsGrpc.RatingsBase
{
    private const int DefaultWatchCount = 3;
    private const int MaxWatchCount = 100;
    private static readonly TimeSpan s_watchInterval = TimeSpan.FromMilliseconds(100);

    public override Task<ProductRatings> GetRatings(GetRatingsRequest request, ServerCallContext context)
    {
        LogRatingsRequest(logger, request.ProductId, EndUser(context));
        return Task.FromResult(ToMessage(request.ProductId));
    }

    public override async Task WatchRatings(GetRatingsRequest request, IServerStreamWriter<ProductRatings> responseStream, ServerCallContext context)
    {
        var count = request.Count == 0 ? DefaultWatchCount : request.Count;
        if (count is < 1 or > MaxWatchCount)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"GetRatingsRequest.count must be between 1 and {MaxWatchCount} (0 means {DefaultWatchCount}), got {request.Count}."));
        }

        LogRatingsRequest(logger, request.ProductId, EndUser(context));

        for (var sent = 0; sent < count; sent++)
        {
            if (sent > 0)
            {
                await Task.Delay(s_watchInterval, context.CancellationToken);
            }

            await responseStream.WriteAsync(ToMessage(request.ProductId), context.CancellationToken);
        }
    }

    private ProductRatings ToMessage(int productId)
    {
        var message = new ProductRatings { Id = productId };
        foreach (var (reviewer, stars) in store.GetRatings(productId))
        {
            message.Ratings[reviewer] = stars;
        }
        return message;
    }

    private static string EndUser(ServerCallContext context) =>
        context.RequestHeaders.GetValue("end-user") is { Length: > 0 } user ? user : "-";

    [LoggerMessage(Level = LogLevel.Information, Message = "ratings request for product {ProductId} from end-user {EndUser}")]
    private static partial void LogRatingsRequest(ILogger logger, int productId, string endUser);
}
