using Bookinfo.Reviews;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.Bookinfo;

public sealed class ReviewsTests
{
    private static readonly Dictionary<string, int> s_ratings = new() { ["Reviewer1"] = 5, ["Reviewer2"] = 4 };

    [Theory]
    [InlineData("v1", false, "black", 10000)]
    [InlineData("v2", true, "black", 10000)]
    [InlineData("v3", true, "red", 2500)]
    public void Service_version_alone_gives_istio_behaviour(string version, bool ratingsEnabled, string starColor, int timeoutMs)
    {
        var settings = Settings(("SERVICE_VERSION", version));

        Assert.Equal(version, settings.ServiceVersion);
        Assert.Equal(ratingsEnabled, settings.RatingsEnabled);
        Assert.Equal(starColor, settings.StarColor);
        Assert.Equal(TimeSpan.FromMilliseconds(timeoutMs), settings.RatingsTimeout);
        Assert.Equal($"reviews-{version}", settings.InstanceName);
        Assert.Equal("null", settings.ClusterName);
    }

    [Fact]
    public void Explicit_keys_override_the_version_defaults()
    {
        var settings = Settings(("SERVICE_VERSION", "v2"), ("STAR_COLOR", "red"), ("RATINGS_TIMEOUT", "1500"),
            ("ENABLE_RATINGS", "false"), ("INSTANCE_NAME", "reviews-v2-abc"));

        Assert.False(settings.RatingsEnabled);
        Assert.Equal("red", settings.StarColor);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.RatingsTimeout);
        Assert.Equal("reviews-v2-abc", settings.InstanceName);
    }

    [Fact]
    public void Ratings_are_fetched_with_istios_get_unless_grpc_is_asked_for()
    {
        Assert.Equal(ReviewsSettings.HttpRatings, Settings(("SERVICE_VERSION", "v2")).RatingsProtocol);
        Assert.Equal(ReviewsSettings.GrpcRatings, Settings(("SERVICE_VERSION", "v2"), ("RATINGS_PROTOCOL", "grpc")).RatingsProtocol);
    }

    [Theory]
    [InlineData("SERVICE_VERSION", "v4")]
    [InlineData("STAR_COLOR", "blue")]
    [InlineData("ENABLE_RATINGS", "yes")]
    [InlineData("RATINGS_TIMEOUT", "0")]
    [InlineData("RATINGS_TIMEOUT", "2s")]
    [InlineData("RATINGS_PROTOCOL", "soap")]
    public void Bad_values_name_the_key_and_the_value(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Settings((key, value)));

        Assert.Contains(key, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void V1_reviews_carry_no_rating()
    {
        var reviews = ReviewsComposer.Compose(0, Settings(("SERVICE_VERSION", "v1")), ratings: null);

        Assert.Equal("0", reviews.Id);
        Assert.Equal("reviews-v1", reviews.PodName);
        Assert.Equal(["Reviewer1", "Reviewer2"], reviews.Reviews.Select(review => review.Reviewer));
        Assert.All(reviews.Reviews, review => Assert.Null(review.Rating));
    }

    [Fact]
    public void V3_reviews_carry_red_stars_from_ratings()
    {
        var reviews = ReviewsComposer.Compose(0, Settings(("SERVICE_VERSION", "v3")), s_ratings);

        Assert.Equal([5, 4], reviews.Reviews.Select(review => review.Rating!.Stars!.Value));
        Assert.All(reviews.Reviews, review => Assert.Equal("red", review.Rating!.Color));
    }

    [Fact]
    public void Failed_ratings_call_gives_istio_error_text_per_review()
    {
        var reviews = ReviewsComposer.Compose(0, Settings(("SERVICE_VERSION", "v2")), ratings: null);

        Assert.All(reviews.Reviews, review =>
        {
            Assert.Null(review.Rating!.Stars);
            Assert.Equal("Ratings service is currently unavailable", review.Rating.Error);
        });
    }

    [Fact]
    public void Reviews_json_matches_istio_shape()
    {
        var reviews = ReviewsComposer.Compose(0, Settings(("SERVICE_VERSION", "v2")), s_ratings);

        var json = System.Text.Json.JsonSerializer.Serialize(reviews);

        Assert.StartsWith("{\"id\":\"0\",\"podname\":\"reviews-v2\",\"clustername\":\"null\",\"reviews\":[", json);
        Assert.Contains("\"rating\":{\"stars\":5,\"color\":\"black\"}", json);
        Assert.DoesNotContain("\"error\"", json);
    }

    private static ReviewsSettings Settings(params (string Key, string Value)[] values) =>
        ReviewsSettings.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value)))
            .Build());
}
