using Bookinfo.ProductPage.Catalog;
using Bookinfo.ProductPage.Rendering;
using Bookinfo.ProductPage.Session;
using Bookinfo.ProductPage.Upstreams;

namespace Bookinfo.ProductPage;

public static class ProductPageEndpoints
{
    private const string HtmlContentType = "text/html; charset=utf-8";

    public static IEndpointRouteBuilder MapProductPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content(IndexPageRenderer.Render(), HtmlContentType));
        app.MapGet("/productpage", GetProductPageAsync);
        app.MapPost("/login", LoginAsync);
        app.MapGet("/logout", Logout);
        return app;
    }

    public static IEndpointRouteBuilder MapProductApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/products");

        api.MapGet("/", () => Results.Ok(ProductCatalog.All));

        api.MapGet("/{id}", async (string id, HttpRequest request, DetailsClient details) =>
            ProductId(id) is { } productId
                ? ToJson(await details.GetDetailsAsync(productId, HeadersFor(request), request.HttpContext.RequestAborted))
                : NonNumericId());

        api.MapGet("/{id}/reviews", async (string id, HttpRequest request, ReviewsClient reviews) =>
            ProductId(id) is { } productId
                ? ToJson(await reviews.GetReviewsAsync(productId, HeadersFor(request), request.HttpContext.RequestAborted))
                : NonNumericId());

        api.MapGet("/{id}/ratings", async (string id, HttpRequest request, RatingsClient ratings) =>
            ProductId(id) is { } productId
                ? ToJson(await ratings.GetRatingsAsync(productId, HeadersFor(request), request.HttpContext.RequestAborted))
                : NonNumericId());

        return app;
    }

    private static async Task<IResult> GetProductPageAsync(HttpRequest request, DetailsClient detailsClient, ReviewsClient reviewsClient)
    {
        var product = ProductCatalog.ComedyOfErrors;
        var user = SignedInUser.Read(request);
        var headers = HeadersFor(request);
        var aborted = request.HttpContext.RequestAborted;

        var details = detailsClient.GetDetailsAsync(product.Id, headers, aborted);
        var reviews = reviewsClient.GetReviewsAsync(product.Id, headers, aborted);

        var html = ProductPageRenderer.Render(new ProductPageModel(product, await details, await reviews, user));
        return Results.Content(html, HtmlContentType);
    }

    private static async Task<IResult> LoginAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return Results.BadRequest(new { error = "POST /login expects a form (application/x-www-form-urlencoded) with the field 'username'." });
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var username = form["username"].ToString();
        if (SignedInUser.Validate(username) is { } problem)
        {
            return Results.BadRequest(new { error = problem });
        }

        SignedInUser.SignIn(request.HttpContext.Response, username);
        return Results.Redirect("/productpage");
    }

    private static IResult Logout(HttpResponse response)
    {
        SignedInUser.SignOut(response);
        return Results.Redirect("/productpage");
    }

    private static PropagatedHeaders HeadersFor(HttpRequest request)
    {
        var requestId = request.Headers[PropagatedHeaders.RequestIdHeader].ToString();
        return new PropagatedHeaders(
            SignedInUser.Read(request),
            string.IsNullOrWhiteSpace(requestId) ? null : requestId);
    }

    private static int? ProductId(string id) => int.TryParse(id, out var productId) ? productId : null;

    private static IResult NonNumericId() => Results.BadRequest(new { error = "please provide numeric product id" });

    // Like Istio's productpage API: the upstream's JSON on success, otherwise its status and an error text.
    private static IResult ToJson<T>(UpstreamResult<T> result) where T : class =>
        result.Value is { } value
            ? Results.Ok(value)
            : Results.Json(new { error = result.Error }, statusCode: result.StatusCode);
}
