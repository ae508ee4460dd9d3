using System.Text.Json;

namespace MeshDev.Proxy.Inbound.Authentication;

/// <summary>
/// The end user a verified JWT names: request principal "&lt;iss&gt;/&lt;sub&gt;" (Istio's form) and the token's claims,
/// for request.auth.* conditions and requestPrincipals.
/// </summary>
public sealed class RequestIdentity
{
    // Istio splits these claims on spaces (OAuth scopes), so "scope: a b" matches a value of "a".
    private static readonly HashSet<string> SpaceDelimitedClaims = new(StringComparer.Ordinal) { "scope", "permission" };

    private readonly JsonElement _claims;

    public RequestIdentity(JsonElement claims)
    {
        _claims = claims;
        Issuer = String("iss") ?? "";
        Subject = String("sub") ?? "";
        Principal = $"{Issuer}/{Subject}";
        Audiences = Claim(["aud"]);
        Presenter = String("azp");
    }

    public string Issuer { get; }
    public string Subject { get; }
    public string Principal { get; }
    public IReadOnlyList<string> Audiences { get; }
    public string? Presenter { get; }

    /// <summary>
    /// The values of a claim, following nested objects for a path such as ["realm", "roles"]: a string, each string
    /// of a list, or the text of a number or boolean. Empty when the claim is absent or is an object.
    /// </summary>
    public IReadOnlyList<string> Claim(IReadOnlyList<string> path)
    {
        var current = _claims;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return [];
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String when path.Count == 1 && SpaceDelimitedClaims.Contains(path[0]) =>
                current.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            JsonValueKind.String => [current.GetString()!],
            JsonValueKind.Array => current.EnumerateArray().Select(Text).OfType<string>().ToArray(),
            _ => Text(current) is { } text ? [text] : [],
        };
    }

    private string? String(string name) =>
        _claims.ValueKind == JsonValueKind.Object && _claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };
}
