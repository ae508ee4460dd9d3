namespace Bookinfo.ProductPage.Upstreams;

public sealed class DetailsClient(HttpClient client, ILogger<DetailsClient> logger)
{
    public const string UnavailableError = "Sorry, product details are currently unavailable for this book.";

    public Task<UpstreamResult<BookDetails>> GetDetailsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken) =>
        BookinfoHttpCall.GetJsonAsync<BookDetails>(client, $"/details/{productId}", headers, UnavailableError, logger, cancellationToken);
}
