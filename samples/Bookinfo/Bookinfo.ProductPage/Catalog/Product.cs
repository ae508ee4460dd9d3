using System.Text.Json.Serialization;

namespace Bookinfo.ProductPage.Catalog;

/// <param name="DescriptionHtml">Trusted markup written by the bookstore, rendered as is.</param>
public sealed record Product(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("descriptionHtml")] string DescriptionHtml);
