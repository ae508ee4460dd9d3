namespace Bookinfo.ProductPage.Upstreams;

public sealed class ReviewsClient(HttpClient client, ILogger<ReviewsClient> logger)
{
    public const string UnavailableError = "Sorry, product reviews are currently unavailable for this book.";

    public Task<UpstreamResult<ProductReviews>> GetReviewsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken) =>
        BookinfoHttpCall.GetJsonAsync<ProductReviews>(client, $"/reviews/{productId}", headers, UnavailableError, logger, cancellationToken);
}
