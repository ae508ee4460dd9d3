using System.Text.RegularExpressions;
using Bookinfo.ProductPage.Catalog;
using Bookinfo.ProductPage.Rendering;
using Bookinfo.ProductPage.Upstreams;

namespace MeshDev.Tests.Bookinfo;

public sealed class ProductPageRendererTests
{
    private static readonly BookDetails s_details = new(0, "William Shakespeare", 1595, "paperback", 200, "PublisherA", "English", "1234567890", "123-1234567890");

    [Fact]
    public void Stars_carry_the_color_from_reviews_and_fill_up_to_five()
    {
        var html = Render(new ProductReviews("0", "reviews-v3", "null",
            [new Review("Reviewer2", "Absolutely fun and entertaining.", new ReviewRating(4, "red", null))]));

        Assert.Equal(4, Regex.Count(html, "<span class=\"glyphicon glyphicon-star\" data-star-color=\"red\"></span>"));
        Assert.Equal(1, Regex.Count(html, "<span class=\"glyphicon glyphicon-star-empty\" data-star-color=\"red\"></span>"));
        Assert.DoesNotContain("data-star-color=\"black\"", html);
        Assert.Contains("Reviews served by: reviews-v3", html);
    }

    [Fact]
    public void Reviews_without_ratings_show_no_stars()
    {
        var html = Render(Reviews("reviews-v1", rating: null));

        Assert.DoesNotContain("glyphicon", html);
        Assert.Contains("Reviews served by: reviews-v1", html);
    }

    [Fact]
    public void Rating_error_from_reviews_is_shown_instead_of_stars()
    {
        var html = Render(Reviews("reviews-v2", new ReviewRating(null, null, "Ratings service is currently unavailable")));

        Assert.Contains("Ratings service is currently unavailable", html);
        Assert.DoesNotContain("data-star-color", html);
    }

    [Fact]
    public void Failed_dependencies_show_istio_error_texts()
    {
        var model = new ProductPageModel(
            ProductCatalog.ComedyOfErrors,
            UpstreamResult<BookDetails>.Failure(503, DetailsClient.UnavailableError),
            UpstreamResult<ProductReviews>.Failure(500, ReviewsClient.UnavailableError),
            User: null);

        var html = ProductPageRenderer.Render(model);

        Assert.Contains("Error fetching product details!", html);
        Assert.Contains("Error fetching product reviews!", html);
        Assert.Contains("Sorry, product reviews are currently unavailable for this book.", html);
        Assert.DoesNotContain("Reviews served by:", html);
        Assert.DoesNotContain("Book Details", html);
    }

    [Fact]
    public void Signed_in_user_replaces_the_sign_in_form()
    {
        var signedOut = Render(Reviews("reviews-v1", rating: null));
        var signedIn = Render(Reviews("reviews-v1", rating: null), user: "jason");

        Assert.Contains("action=\"/login\"", signedOut);
        Assert.Contains("name=\"username\"", signedOut);
        Assert.DoesNotContain("Signed in as", signedOut);

        Assert.Contains("Signed in as jason", signedIn);
        Assert.Contains("href=\"/logout\"", signedIn);
        Assert.DoesNotContain("action=\"/login\"", signedIn);
    }

    [Fact]
    public void Values_from_other_services_and_users_are_html_encoded()
    {
        var reviews = new ProductReviews("0", "<script>alert(1)</script>", "null",
            [new Review("<b>Reviewer1</b>", "5 > 4 & \"quoted\"", new ReviewRating(5, "\"><script>", null))]);

        var html = Render(reviews, user: "<img src=x>");

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img src=x>", html);
        Assert.DoesNotContain("<b>Reviewer1</b>", html);
        Assert.Contains("Reviews served by: &lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("5 &gt; 4 &amp; &quot;quoted&quot;", html);
        Assert.Contains("data-star-color=\"&quot;&gt;&lt;script&gt;\"", html);
        Assert.Contains("Signed in as &lt;img src=x&gt;", html);
    }

    private static ProductReviews Reviews(string podName, ReviewRating? rating) => new("0", podName, "null",
    [
        new Review("Reviewer1", "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!", rating),
        new Review("Reviewer2", "Absolutely fun and entertaining.", rating),
    ]);

    private static string Render(ProductReviews reviews, string? user = null) =>
        ProductPageRenderer.Render(new ProductPageModel(
            ProductCatalog.ComedyOfErrors,
            UpstreamResult<BookDetails>.Success(s_details),
            UpstreamResult<ProductReviews>.Success(reviews),
            user));
}
