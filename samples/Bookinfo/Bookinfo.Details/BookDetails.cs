using System.Text.Json.Serialization;

namespace Bookinfo.Details;

// The wire shape of Istio's details service, field for field, so that Istio's productpage and tests read it unchanged.
public sealed record BookDetails(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("author")] string Author,
    [property: JsonPropertyName("year")] int Year,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("pages")] int Pages,
    [property: JsonPropertyName("publisher")] string Publisher,
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("ISBN-10")] string Isbn10,
    [property: JsonPropertyName("ISBN-13")] string Isbn13);
