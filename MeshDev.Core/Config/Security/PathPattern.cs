namespace MeshDev.Core.Config.Security;

/// <summary>
/// The forms of an AuthorizationPolicy path, as Istio reads them: exact ("/info"), prefix ("/info*"), suffix
/// ("*.png"), presence ("*"), or a URI template whose segments may be {*} (one segment) or {**} (the rest, last).
/// </summary>
public static class PathPattern
{
    public const string MatchOne = "{*}";
    public const string MatchAny = "{**}";

    public static bool IsTemplate(string pattern) => pattern.Contains(MatchOne, StringComparison.Ordinal) || pattern.Contains(MatchAny, StringComparison.Ordinal);

    /// <summary>What makes <paramref name="pattern"/> invalid (Istio's rule), or null.</summary>
    public static string? Problem(string pattern)
    {
        var template = IsTemplate(pattern);
        var foundAny = false;
        foreach (var segment in pattern.Trim('/').Split('/'))
        {
            if (segment is MatchOne or MatchAny)
            {
                if (foundAny)
                {
                    return $"path template '{pattern}' has an operator after {{**}}; {{**}} matches the rest of the path and must be the last operator.";
                }

                foundAny = segment == MatchAny;
                continue;
            }

            if (segment.Contains('{') || segment.Contains('}'))
            {
                return $"path '{pattern}' has '{{' or '}}' outside a whole-segment {{*}} or {{**}}; write e.g. /api/{{*}}/items (a segment holds the operator alone).";
            }

            if (template && !IsLiteral(segment))
            {
                return $"path template '{pattern}' has segment '{segment}' with characters a template does not allow ('*' among them); use {{*}} for one segment or {{**}} for the rest.";
            }
        }

        return null;
    }

    // RFC 3986 pchar, which Envoy's URI templates take as literal text.
    private static bool IsLiteral(string segment) =>
        segment.Length > 0 && segment.All(c => char.IsAsciiLetterOrDigit(c) || "-._~%!$&'()+,;:@=".Contains(c));
}
