using System.Net;
using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.EndToEnd;

/// <summary>Bookinfo through the gateway: every hop passes through the sidecars, and the proxies' own counters say so.</summary>
[Collection(AppHostCollection.Name)]
public sealed class BookinfoTrafficTests(BookinfoAppFixture mesh) : IClassFixture<BookinfoAppFixture>
{
    [Fact]
    public async Task Thirty_page_loads_see_every_reviews_version_with_its_stars_and_cross_every_sidecar()
    {
        var before = await ReadPathCountersAsync();

        var pages = new List<BookinfoPage>();
        for (var i = 0; i < 30; i++)
        {
            pages.Add(await mesh.GetReviewedPageAsync());
        }

        var byVersion = pages.GroupBy(page => page.ServedBy).ToDictionary(group => group.Key, group => group.ToList());
        Assert.Equal(["reviews-v1", "reviews-v2", "reviews-v3"], byVersion.Keys.Order());
        Assert.All(byVersion["reviews-v1"], page => Assert.Equal(0, page.StarCount));
        Assert.All(byVersion["reviews-v2"], page => Assert.Equal(["black"], page.StarColors));
        Assert.All(byVersion["reviews-v3"], page => Assert.Equal(["red"], page.StarColors));

        var after = await ReadPathCountersAsync();
        var delta = after.Minus(before);
        // gateway -> productpage sidecar
        Assert.True(delta.GatewayToProductpage >= 30, $"gateway sent {delta.GatewayToProductpage} requests to productpage");
        Assert.True(delta.ProductpageInbound >= 30, $"productpage's sidecar received {delta.ProductpageInbound}");
        // productpage sidecar -> reviews sidecars and details
        Assert.True(delta.ProductpageToReviews >= 30, $"productpage's sidecar sent {delta.ProductpageToReviews} to reviews");
        Assert.True(delta.ProductpageToDetails >= 30, $"productpage's sidecar sent {delta.ProductpageToDetails} to details");
        Assert.Equal(delta.ProductpageToReviews, delta.ReviewsInbound.Values.Sum());
        Assert.All(delta.ReviewsInbound, pair => Assert.True(pair.Value > 0, $"{pair.Key} received no request"));
        // reviews v2/v3 sidecars -> ratings sidecar (gRPC over HTTP/2); v1 never calls ratings
        Assert.Equal(0, delta.ReviewsToRatings["reviews-v1"]);
        Assert.True(delta.ReviewsToRatings["reviews-v2"] > 0, "reviews-v2's sidecar sent nothing to ratings");
        Assert.True(delta.ReviewsToRatings["reviews-v3"] > 0, "reviews-v3's sidecar sent nothing to ratings");
        Assert.Equal(delta.ReviewsToRatings.Values.Sum(), delta.RatingsInbound);
    }

    [Fact]
    public async Task A_signed_in_users_end_user_header_reaches_reviews()
    {
        var user = $"jason{Random.Shared.Next(1000, 9999)}";
        using var login = new HttpRequestMessage(HttpMethod.Post, new Uri(BookinfoAppFixture.Gateway, "/login"))
        {
            Content = new FormUrlEncodedContent([new("username", user)]),
        };
        using var loginResponse = await mesh.Http.SendAsync(login);
        Assert.Equal(HttpStatusCode.Found, loginResponse.StatusCode);
        var cookie = Assert.Single(loginResponse.Headers.GetValues("Set-Cookie"), c => c.StartsWith("user=", StringComparison.Ordinal));
        Assert.StartsWith($"user={user}", cookie, StringComparison.Ordinal);

        using var logs = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seenAtReviews = WatchForLogLineAsync(["reviews-v1", "reviews-v2", "reviews-v3"], $"from end-user {user}", logs.Token);

        var page = await mesh.GetPageAsync(userCookie: user);
        Assert.Contains(user, page, StringComparison.Ordinal);

        var resource = await seenAtReviews;
        Assert.StartsWith("reviews-v", resource, StringComparison.Ordinal);
    }

    private async Task<string> WatchForLogLineAsync(string[] resources, string text, CancellationToken cancellationToken)
    {
        var loggers = mesh.App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.ResourceLoggerService>();
        var model = mesh.App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>();
        using var found = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchers = resources.Select(async resource =>
        {
            // By resource, not by name: the logs of a running process are kept under its instance's name.
            var watched = model.Resources.Single(r => r.Name == resource);
            await foreach (var batch in loggers.WatchAsync(watched).WithCancellation(found.Token))
            {
                if (batch.Any(line => line.Content.Contains(text, StringComparison.Ordinal)))
                {
                    return resource;
                }
            }
            return null;
        }).ToList();

        try
        {
            while (watchers.Count > 0)
            {
                var done = await Task.WhenAny(watchers);
                watchers.Remove(done);
                if (await done is { } resource)
                {
                    return resource;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await found.CancelAsync();
        }
        throw new Xunit.Sdk.XunitException($"No reviews instance logged '{text}'.");
    }

    private async Task<PathCounters> ReadPathCountersAsync()
    {
        var gateway = await mesh.GetStatsAsync("gateway");
        var productpage = await mesh.GetStatsAsync("productpage-v1-sidecar");
        var ratings = await mesh.GetStatsAsync("ratings-v1-sidecar");
        var reviewsInbound = new Dictionary<string, long>();
        var reviewsToRatings = new Dictionary<string, long>();
        foreach (var version in new[] { "reviews-v1", "reviews-v2", "reviews-v3" })
        {
            var reviews = await mesh.GetStatsAsync($"{version}-sidecar");
            reviewsInbound[version] = reviews.Counter("inbound.reviews.rq_200");
            reviewsToRatings[version] = reviews.Counter("cluster.ratings.upstream_rq_200");
        }
        return new PathCounters(
            gateway.Counter("cluster.productpage.default.upstream_rq_200"),
            productpage.Counter("inbound.productpage.rq_200"),
            productpage.Counter("cluster.reviews.upstream_rq_200"),
            productpage.Counter("cluster.details.upstream_rq_200"),
            reviewsInbound,
            reviewsToRatings,
            ratings.Counter("inbound.ratings.rq_200"));
    }

    private sealed record PathCounters(
        long GatewayToProductpage,
        long ProductpageInbound,
        long ProductpageToReviews,
        long ProductpageToDetails,
        Dictionary<string, long> ReviewsInbound,
        Dictionary<string, long> ReviewsToRatings,
        long RatingsInbound)
    {
        public PathCounters Minus(PathCounters earlier) => new(
            GatewayToProductpage - earlier.GatewayToProductpage,
            ProductpageInbound - earlier.ProductpageInbound,
            ProductpageToReviews - earlier.ProductpageToReviews,
            ProductpageToDetails - earlier.ProductpageToDetails,
            ReviewsInbound.ToDictionary(pair => pair.Key, pair => pair.Value - earlier.ReviewsInbound[pair.Key]),
            ReviewsToRatings.ToDictionary(pair => pair.Key, pair => pair.Value - earlier.ReviewsToRatings[pair.Key]),
            RatingsInbound - earlier.RatingsInbound);
    }
}
