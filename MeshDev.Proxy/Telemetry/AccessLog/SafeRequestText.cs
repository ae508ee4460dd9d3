namespace MeshDev.Proxy.Telemetry.AccessLog;

/// <summary>
/// Request parts as logs and spans may show them. Query parameters whose names say they carry a credential
/// (access_token, api_key, password, signature, ...) keep their names but lose their values, since a URL is often
/// where a token travels. Headers that carry credentials (Authorization, Cookie) are never logged at all.
/// </summary>
public static class SafeRequestText
{
    public const string Redacted = "REDACTED";

    private static readonly string[] SensitiveParts = ["token", "secret", "password", "passwd", "apikey", "api_key", "api-key", "signature", "credential", "session", "auth"];
    private static readonly HashSet<string> SensitiveNames = new(StringComparer.OrdinalIgnoreCase) { "key", "sig", "code", "pwd", "jwt", "sas" };

    /// <summary>Path and query, with the values of credential-like query parameters replaced.</summary>
    public static string PathAndQuery(HttpRequest request)
    {
        var path = request.PathBase.Add(request.Path).ToUriComponent();
        var query = request.QueryString;
        return query.HasValue ? path + RedactQuery(query.Value!) : path;
    }

    public static string RedactQuery(string query)
    {
        if (query.Length <= 1)
        {
            return query;
        }

        var pairs = query[1..].Split('&');
        var changed = false;
        for (var i = 0; i < pairs.Length; i++)
        {
            var equals = pairs[i].IndexOf('=');
            var name = equals < 0 ? pairs[i] : pairs[i][..equals];
            if (equals >= 0 && IsSensitive(Uri.UnescapeDataString(name)))
            {
                pairs[i] = name + "=" + Redacted;
                changed = true;
            }
        }

        return changed ? "?" + string.Join('&', pairs) : query;
    }

    private static bool IsSensitive(string name) =>
        SensitiveNames.Contains(name) || SensitiveParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase));
}
