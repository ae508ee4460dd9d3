using System.Net;
using System.Text.Json.Nodes;

namespace MeshDev.Cli.Api;

/// <summary>A control plane or proxy admin answer: its status and its JSON body (null when the body is not JSON).</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, string RawBody)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The API's {"error": "..."} text, or the raw body when the answer is not in that shape.</summary>
    public string ErrorText =>
        Body is JsonObject o && o["error"] is JsonValue error && error.TryGetValue<string>(out var text)
            ? text
            : RawBody.Length > 0 ? RawBody.Trim() : $"HTTP {(int)Status} {Status}";
}
