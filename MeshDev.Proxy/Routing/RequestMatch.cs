using Microsoft.Extensions.Primitives;

namespace MeshDev.Proxy.Routing;

/// <summary>One compiled match block of a route: every condition it has must hold (Istio's HTTPMatchRequest).</summary>
public sealed class RequestMatch(
    StringMatcher? uri,
    StringMatcher? method,
    KeyValuePair<string, StringMatcher>[] headers,
    KeyValuePair<string, StringMatcher>[] queryParameters,
    KeyValuePair<string, StringMatcher>[] withoutHeaders,
    bool ignoreUriCase)
{
    public StringMatcher? Uri { get; } = uri;
    public StringMatcher? Method { get; } = method;
    public KeyValuePair<string, StringMatcher>[] Headers { get; } = headers;
    public KeyValuePair<string, StringMatcher>[] QueryParameters { get; } = queryParameters;
    public KeyValuePair<string, StringMatcher>[] WithoutHeaders { get; } = withoutHeaders;
    public bool IgnoreUriCase { get; } = ignoreUriCase;

    public bool Matches(HttpRequest request)
    {
        if (Uri is not null && !Uri.Matches(request.Path.Value ?? "/"))
        {
            return false;
        }

        if (Method is not null && !Method.Matches(request.Method))
        {
            return false;
        }

        foreach (var (name, matcher) in Headers)
        {
            if (!request.Headers.TryGetValue(name, out var values) || !matcher.Matches(Joined(values)))
            {
                return false;
            }
        }

        foreach (var (name, matcher) in WithoutHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values) && matcher.Matches(Joined(values)))
            {
                return false;
            }
        }

        foreach (var (name, matcher) in QueryParameters)
        {
            if (!request.Query.TryGetValue(name, out var values) || !matcher.Matches(values.Count > 0 ? values[0] ?? "" : ""))
            {
                return false;
            }
        }

        return true;
    }

    // Envoy matches a repeated header on its values joined by commas; one value needs no new string.
    private static string Joined(StringValues values) => values.Count == 1 ? values[0] ?? "" : values.ToString();
}
