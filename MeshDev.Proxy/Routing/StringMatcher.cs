using System.Text.RegularExpressions;
using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// A compiled <see cref="StringMatch"/>: exact, prefix or a full-match regular expression, built once per snapshot.
/// A match with no kind set stands for "present with any value", which is how Istio matches on a header's presence.
/// </summary>
public sealed class StringMatcher
{
    private readonly StringMatch.KindOneofCase _kind;
    private readonly string _value;
    private readonly Regex? _regex;
    private readonly StringComparison _comparison;

    private StringMatcher(StringMatch.KindOneofCase kind, string value, Regex? regex, bool ignoreCase)
    {
        _kind = kind;
        _value = value;
        _regex = regex;
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    }

    public static StringMatcher Compile(StringMatch match, bool ignoreCase, RegexCache regexes, string where) => match.KindCase switch
    {
        StringMatch.KindOneofCase.Exact => new(match.KindCase, match.Exact, null, ignoreCase),
        StringMatch.KindOneofCase.Prefix => new(match.KindCase, match.Prefix, null, ignoreCase),
        StringMatch.KindOneofCase.Regex => new(match.KindCase, match.Regex, regexes.Get(match.Regex, ignoreCase, where), ignoreCase),
        _ => new(StringMatch.KindOneofCase.None, "", null, ignoreCase),
    };

    public bool Matches(string value) => _kind switch
    {
        StringMatch.KindOneofCase.Exact => string.Equals(value, _value, _comparison),
        StringMatch.KindOneofCase.Prefix => value.StartsWith(_value, _comparison),
        StringMatch.KindOneofCase.Regex => _regex!.IsMatch(value),
        _ => true,
    };

    /// <summary>As the config dump shows it, e.g. {"prefix":"/api"}.</summary>
    public (string Kind, string Value) Describe() => _kind switch
    {
        StringMatch.KindOneofCase.Exact => ("exact", _value),
        StringMatch.KindOneofCase.Prefix => ("prefix", _value),
        StringMatch.KindOneofCase.Regex => ("regex", _value),
        _ => ("present", ""),
    };
}
