using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Api;

/// <summary>
/// A control plane or proxy admin answer: its status and its JSON body (null when the body is not JSON). Tables read
/// the body typed (<see cref="Read{T}"/>, through <see cref="MeshApiJsonContext"/>); json and yaml output print
/// <see cref="Body"/> as it came.
/// </summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, string RawBody)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The API's {"error": "..."} text, or the raw body when the answer is not in that shape.</summary>
    public string ErrorText =>
        Body is JsonObject && TryRead(MeshApiJsonContext.Default.ErrorResponse) is { Error: { } text }
            ? text
            : RawBody.Length > 0 ? RawBody.Trim() : $"HTTP {(int)Status} {Status}";

    /// <summary>The body as one of the API's shapes; null when it is not JSON of that shape.</summary>
    public T? TryRead<T>(JsonTypeInfo<T> type)
        where T : class
    {
        if (Body is null)
        {
            return null;
        }

        try
        {
            return Body.Deserialize(type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
