using System.Text.Json.Serialization;

namespace Bookinfo.Reviews;

// The wire shape of Istio's reviews service. The id is a string and "rating" is absent in v1, as in Istio.
public sealed record ProductReviews(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("podname")] string PodName,
    [property: JsonPropertyName("clustername")] string ClusterName,
    [property: JsonPropertyName("reviews")] IReadOnlyList<Review> Reviews);

public sealed record Review(
    [property: JsonPropertyName("reviewer")] string Reviewer,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("rating"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReviewRating? Rating);

// Either stars with a color, or an error when ratings could not be fetched.
public sealed record ReviewRating(
    [property: JsonPropertyName("stars"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Stars,
    [property: JsonPropertyName("color"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Color,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error)
{
    public const string UnavailableError = "Ratings service is currently unavailable";

    public static ReviewRating FromStars(int stars, string color) => new(stars, color, Error: null);

    public static ReviewRating Unavailable { get; } = new(Stars: null, Color: null, UnavailableError);
}
