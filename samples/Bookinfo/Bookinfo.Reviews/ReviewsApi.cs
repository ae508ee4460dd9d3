using Bookinfo.Reviews.Ratings;

namespace Bookinfo.Reviews;

public static partial class ReviewsApi
{
    public static IEndpointRouteBuilder MapReviewsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/reviews/{id}", GetReviewsAsync);
        return app;
    }

    private static async Task<IResult> GetReviewsAsync(
        string id,
        HttpRequest request,
        ReviewsSettings settings,
        IRatingsClient ratingsClient,
        ILoggerFactory loggerFactory)
    {
        var headers = PropagatedHeaders.FromRequest(request);

        // Read from the logs by end-to-end tests to prove that end-user crosses the mesh to this version.
        LogReviewsRequest(loggerFactory.CreateLogger(typeof(ReviewsApi)), id, headers.EndUser ?? "-");

        if (!int.TryParse(id, out var productId))
        {
            return Results.BadRequest(new { error = "please provide numeric product id" });
        }

        var ratings = settings.RatingsEnabled
            ? await ratingsClient.GetRatingsAsync(productId, headers, request.HttpContext.RequestAborted)
            : null;

        return Results.Ok(ReviewsComposer.Compose(productId, settings, ratings));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "reviews request for product {ProductId} from end-user {EndUser}")]
    private static partial void LogReviewsRequest(ILogger logger, string productId, string endUser);
}
