using System.Globalization;
using System.Net;
using System.Text;
using Bookinfo.ProductPage.Upstreams;

namespace Bookinfo.ProductPage.Rendering;

// Renders Istio's productpage as one self-contained HTML document. Every value that came from another
// service or from the user is HTML-encoded; only the catalog's own description is trusted markup.
public static class ProductPageRenderer
{
    public const string DetailsErrorHeading = "Error fetching product details!";
    public const string ReviewsErrorHeading = "Error fetching product reviews!";
    public const int MaxStars = 5;

    public static string Render(ProductPageModel model)
    {
        var html = new StringBuilder();
        html.Append(PageLayout.Head("Simple Bookstore App"));

        AppendNavigation(html, model.User);

        html.Append("<main class=\"container\">\n");
        html.Append("<h1 class=\"text-center text-primary\">").Append(Encode(model.Product.Title)).Append("</h1>\n");
        html.Append("<p class=\"summary\"><strong>Summary:</strong> ").Append(model.Product.DescriptionHtml).Append("</p>\n");
        html.Append("<div class=\"row\">\n");
        AppendDetails(html, model.Details);
        AppendReviews(html, model.Reviews);
        html.Append("</div>\n</main>\n");

        html.Append(PageLayout.Tail());
        return html.ToString();
    }

    private static void AppendNavigation(StringBuilder html, string? user)
    {
        html.Append("<nav class=\"navbar\">\n<a class=\"navbar-brand\" href=\"/\">BookInfo Sample</a>\n");
        if (user is null)
        {
            html.Append("""
                <form class="sign-in" method="post" action="/login">
                <label for="username">User name</label>
                <input id="username" name="username" type="text" required maxlength="64" autocomplete="username">
                <button type="submit">Sign in</button>
                </form>

                """);
        }
        else
        {
            html.Append("<span class=\"signed-in\">Signed in as ").Append(Encode(user)).Append("</span>\n");
            html.Append("<a class=\"sign-out\" href=\"/logout\">Sign out</a>\n");
        }
        html.Append("</nav>\n");
    }

    private static void AppendDetails(StringBuilder html, UpstreamResult<BookDetails> result)
    {
        html.Append("<section class=\"col details\">\n");
        if (result.Value is { } details)
        {
            html.Append("<h4 class=\"text-center text-primary\">Book Details</h4>\n<dl>\n");
            AppendDefinition(html, "Type:", details.Type);
            AppendDefinition(html, "Pages:", details.Pages.ToString(CultureInfo.InvariantCulture));
            AppendDefinition(html, "Publisher:", details.Publisher);
            AppendDefinition(html, "Language:", details.Language);
            AppendDefinition(html, "ISBN-10:", details.Isbn10);
            AppendDefinition(html, "ISBN-13:", details.Isbn13);
            html.Append("</dl>\n");
        }
        else
        {
            AppendError(html, DetailsErrorHeading, result.Error);
        }
        html.Append("</section>\n");
    }

    private static void AppendReviews(StringBuilder html, UpstreamResult<ProductReviews> result)
    {
        html.Append("<section class=\"col reviews\">\n");
        if (result.Value is { } reviews)
        {
            html.Append("<h4 class=\"text-center text-primary\">Book Reviews</h4>\n");
            foreach (var review in reviews.Reviews)
            {
                AppendReview(html, review);
            }

            html.Append("<p class=\"served-by\">Reviews served by: ").Append(Encode(reviews.PodName));
            if (reviews.ClusterName is { } cluster && cluster != "null")
            {
                html.Append(" on cluster ").Append(Encode(cluster));
            }
            html.Append("</p>\n");
        }
        else
        {
            AppendError(html, ReviewsErrorHeading, result.Error);
        }
        html.Append("</section>\n");
    }

    private static void AppendReview(StringBuilder html, Review review)
    {
        html.Append("<blockquote>\n<p>").Append(Encode(review.Text)).Append("</p>\n");
        html.Append("<small>").Append(Encode(review.Reviewer)).Append("</small>\n");

        if (review.Rating is { Stars: { } stars } rating)
        {
            var color = Encode(rating.Color ?? "black");
            var full = Math.Clamp(stars, 0, MaxStars);
            html.Append("<div class=\"rating\">");
            for (var i = 0; i < full; i++)
            {
                html.Append("<span class=\"glyphicon glyphicon-star\" data-star-color=\"").Append(color).Append("\"></span>");
            }
            for (var i = full; i < MaxStars; i++)
            {
                html.Append("<span class=\"glyphicon glyphicon-star-empty\" data-star-color=\"").Append(color).Append("\"></span>");
            }
            html.Append("</div>\n");
        }
        else if (review.Rating is { Error: { } error })
        {
            html.Append("<p class=\"rating-error\"><i>").Append(Encode(error)).Append("</i></p>\n");
        }

        html.Append("</blockquote>\n");
    }

    private static void AppendDefinition(StringBuilder html, string term, string? value) =>
        html.Append("<dt>").Append(term).Append("</dt><dd>").Append(Encode(value)).Append("</dd>\n");

    private static void AppendError(StringBuilder html, string heading, string? error)
    {
        html.Append("<h4 class=\"text-center text-primary\">").Append(heading).Append("</h4>\n");
        html.Append("<p class=\"error\">").Append(Encode(error)).Append("</p>\n");
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);
}
