using Bookinfo.ProductPage.Catalog;
using Bookinfo.ProductPage.Upstreams;

namespace Bookinfo.ProductPage.Rendering;

/// <param name="User">The signed-in user, or null.</param>
public sealed record ProductPageModel(
    Product Product,
    UpstreamResult<BookDetails> Details,
    UpstreamResult<ProductReviews> Reviews,
    string? User);
