using MeshDev.Core.Api;
using MeshDev.Core.Config;
using Microsoft.Net.Http.Headers;

namespace MeshDev.ControlPlane.Api;

/// <summary>
/// Reads the YAML body of an apply or analyze, refusing before anything is parsed what cannot be config: a body larger
/// than <see cref="MaxBytes"/> (413), a content type that is not text (415), bytes that are not UTF-8 (400, located).
/// </summary>
public static class ConfigRequestBody
{
    public const int MaxBytes = ConfigText.MaxBytes;

    public static readonly IReadOnlyList<string> MediaTypes =
        ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json", "text/plain"];

    /// <returns>The text, or the answer that refuses it.</returns>
    public static async Task<(string? Text, IResult? Refusal)> ReadAsync(HttpRequest request, string source)
    {
        if (request.ContentType is { } contentType
            && !(MediaTypeHeaderValue.TryParse(contentType, out var mediaType) && MediaTypes.Contains(mediaType.MediaType.Value ?? "", StringComparer.OrdinalIgnoreCase)))
        {
            return (null, Results.Json(new ErrorResponse(
                    $"Content-Type '{contentType}' is not config; send the YAML as one of: {string.Join(", ", MediaTypes)} (curl: -H 'Content-Type: application/yaml' --data-binary @file.yaml)."),
                statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge(request.ContentLength.Value));
        }

        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (null, TooLarge(null));
            }

            buffer.Write(chunk, 0, read);
        }

        var text = ConfigText.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), source, out var problem);
        return text is null
            ? (null, Results.BadRequest(new ConfigErrorResponse($"1 problem(s) in {source}", [ConfigMessageResponse.From(problem!)])))
            : (text, null);
    }

    private static IResult TooLarge(long? length) =>
        Results.Json(new ErrorResponse(
                $"The body{(length is { } l ? $" ({l} bytes)" : "")} is larger than the config limit of {MaxBytes} bytes (4 MiB); split it into several applies."),
            statusCode: StatusCodes.Status413PayloadTooLarge);
}
