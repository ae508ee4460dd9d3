namespace MeshDev.Proxy.Inbound.Authorization;

/// <summary>
/// One value of an AuthorizationPolicy field, in Istio's four forms: exact ("GET"), prefix ("/api*"), suffix
/// ("*.example.com") and presence ("*": any non-empty value).
/// </summary>
public sealed class ValueMatcher
{
    private readonly string _text;
    private readonly Kind _kind;
    private readonly StringComparison _comparison;

    private ValueMatcher(string text, Kind kind, StringComparison comparison)
    {
        _text = text;
        _kind = kind;
        _comparison = comparison;
    }

    private enum Kind
    {
        Exact,
        Prefix,
        Suffix,
        Presence,
    }

    public static ValueMatcher Parse(string pattern, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return pattern switch
        {
            "*" => new ValueMatcher("", Kind.Presence, comparison),
            _ when pattern.StartsWith('*') => new ValueMatcher(pattern[1..], Kind.Suffix, comparison),
            _ when pattern.EndsWith('*') => new ValueMatcher(pattern[..^1], Kind.Prefix, comparison),
            _ => new ValueMatcher(pattern, Kind.Exact, comparison),
        };
    }

    /// <summary>An absent value (null) matches nothing, not even presence.</summary>
    public bool Matches(string? value) => value is not null && _kind switch
    {
        Kind.Presence => value.Length > 0,
        Kind.Prefix => value.StartsWith(_text, _comparison),
        Kind.Suffix => value.EndsWith(_text, _comparison),
        _ => string.Equals(value, _text, _comparison),
    };
}
