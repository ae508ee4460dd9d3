using System.Text.Json.Serialization;

namespace Bookinfo.ProductPage.Upstreams;

// The JSON that the details, reviews and ratings services answer with, as Istio's Bookinfo defines it.

public sealed record BookDetails(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("author")] string? Author,
    [property: JsonPropertyName("year")] int Year,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("pages")] int Pages,
    [property: JsonPropertyName("publisher")] string? Publisher,
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("ISBN-10")] string? Isbn10,
    [property: JsonPropertyName("ISBN-13")] string? Isbn13);

public sealed record ProductReviews(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("podname")] string? PodName,
    [property: JsonPropertyName("clustername")] string? ClusterName,
    [property: JsonPropertyName("reviews")] IReadOnlyList<Review> Reviews);

public sealed record Review(
    [property: JsonPropertyName("reviewer")] string? Reviewer,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("rating"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReviewRating? Rating);

public sealed record ReviewRating(
    [property: JsonPropertyName("stars"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Stars,
    [property: JsonPropertyName("color"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Color,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record ProductRatings(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("ratings")] IReadOnlyDictionary<string, int> Ratings);
