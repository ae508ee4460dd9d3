using System.Text;
using System.Text.RegularExpressions;
using MeshDev.Core.Config.Security;

namespace MeshDev.Proxy.Inbound.Authorization;

/// <summary>
/// A path of an AuthorizationPolicy: Istio's exact, prefix, suffix and presence forms, or a URI template whose
/// {*} matches one segment and {**} the rest of the path (zero or more segments), as Envoy's uri_template does.
/// Matched against the request path without its query string.
/// </summary>
public static class PathMatcher
{
    public static Func<string, bool> Parse(string pattern)
    {
        if (!PathPattern.IsTemplate(pattern))
        {
            var matcher = ValueMatcher.Parse(pattern);
            return matcher.Matches;
        }

        var regex = new StringBuilder("^");
        var segments = pattern.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                regex.Append('/');
            }

            regex.Append(segments[i] switch
            {
                PathPattern.MatchOne => "[^/]+",
                PathPattern.MatchAny => ".*",
                var literal => Regex.Escape(literal),
            });
        }

        var compiled = new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(100));
        return compiled.IsMatch;
    }
}
