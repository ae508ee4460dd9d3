namespace MeshDev.Core.Config.Networking;

// VirtualService http[].redirect and http[].rewrite, with Istio's rules for combining them with the rest of a route.
internal sealed partial class VirtualServiceValidator
{
    /// <summary>The codes Envoy's redirect action can send; Istio drops a route with any other.</summary>
    private static readonly IReadOnlyList<long> RedirectCodes = [301, 302, 303, 307, 308];

    private static readonly IReadOnlyList<string> DerivePorts = ["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"];

    private void CheckRedirectAndRewrite(VirtualServiceResource vs, HttpRouteSpec route, string path)
    {
        if (route.Redirect is { } redirect)
        {
            CheckRedirect(vs, redirect, $"{path}.redirect");

            // The ones Istio refuses next to a redirect.
            if (route.Route.Count > 0)
            {
                Error(vs, $"{path}.route", "a route that redirects sends no request anywhere; give either route or redirect, not both.");
            }

            if (route.Fault is not null)
            {
                Error(vs, $"{path}.fault", "fault cannot be combined with redirect: the proxy answers a redirect itself; remove fault or redirect.");
            }

            if (route.Rewrite is not null)
            {
                Error(vs, $"{path}.rewrite", "give either rewrite or redirect, not both: a redirect sends nothing upstream to rewrite.");
            }

            // The ones Istio takes but that cannot do anything on a redirect.
            foreach (var (present, field) in new[]
            {
                (route.Mirror is not null, "mirror"), (route.Mirrors.Count > 0, "mirrors"), (route.Retries is not null, "retries"),
                (route.Timeout is not null, "timeout"), (route.Headers?.Request is not null, "headers.request"),
            })
            {
                if (present)
                {
                    Warning(vs, $"{path}.{field}", $"{field} has no effect on a route that redirects: no request goes upstream; remove {field}.");
                }
            }
        }

        if (route.Rewrite is { } rewrite)
        {
            CheckRewrite(vs, rewrite, $"{path}.rewrite");
        }
    }

    private void CheckRedirect(VirtualServiceResource vs, HttpRedirectSpec redirect, string path)
    {
        if (redirect.Uri is null && redirect.Authority is null && redirect.Scheme is null && redirect.Port is null && redirect.DerivePort is null)
        {
            Error(vs, path, "redirect changes nothing; give at least one of uri, authority, scheme, port or derivePort.");
        }

        if (redirect.Uri is { } uri && !uri.StartsWith('/'))
        {
            Error(vs, $"{path}.uri", $"uri '{uri}' must be a path starting with '/', e.g. '/v2/reviews' (it replaces the whole path; a '?query' may follow).");
        }
        else if (redirect.Uri is { } withFragment && (withFragment.Contains('#') || withFragment.Any(char.IsWhiteSpace)))
        {
            Error(vs, $"{path}.uri", $"uri '{withFragment}' has a '#' or white space; give a path, optionally with a '?query'.");
        }

        if (redirect.Authority is { } authority && !IsAuthority(authority))
        {
            Error(vs, $"{path}.authority", $"authority '{authority}' is not a host or host:port; give e.g. 'reviews.example.com' or 'localhost:9080'.");
        }

        if (redirect.Scheme is { } scheme && scheme is not ("http" or "https"))
        {
            Error(vs, $"{path}.scheme", $"scheme '{scheme}' is not one Istio takes; give \"http\" or \"https\".");
        }

        if (redirect.Port is { } port and (< 1 or > 65535))
        {
            Error(vs, $"{path}.port", $"port {port} is out of range; give a port from 1 to 65535.");
        }

        if (redirect.Port is not null && redirect.DerivePort is not null)
        {
            Error(vs, $"{path}.derivePort", "give either port or derivePort, not both: they are alternatives.");
        }

        if (redirect.DerivePort is { } derive && !DerivePorts.Contains(derive))
        {
            Error(vs, $"{path}.derivePort", $"derivePort '{derive}' is unknown; give one of: {string.Join(", ", DerivePorts)}.");
        }

        if (redirect.RedirectCode is { } code && !RedirectCodes.Contains(code))
        {
            Error(vs, $"{path}.redirectCode", $"redirectCode {code} is not a redirect Envoy can send; give one of {string.Join(", ", RedirectCodes)} (301 when left out).");
        }
    }

    private void CheckRewrite(VirtualServiceResource vs, HttpRewriteSpec rewrite, string path)
    {
        if (rewrite.Uri is null && rewrite.UriRegexRewrite is null && rewrite.Authority is null)
        {
            Error(vs, path, "rewrite changes nothing; give at least one of uri, uriRegexRewrite or authority.");
        }

        if (rewrite.Uri is not null && rewrite.UriRegexRewrite is not null)
        {
            Error(vs, $"{path}.uriRegexRewrite", "give either uri or uriRegexRewrite, not both: both rewrite the path.");
        }

        if (rewrite.Uri is { } uri && (!uri.StartsWith('/') || uri.IndexOfAny(['?', '#']) >= 0 || uri.Any(char.IsWhiteSpace)))
        {
            Error(vs, $"{path}.uri", $"uri '{uri}' must be a path starting with '/' without '?', '#' or white space; the request's query is kept as it is.");
        }

        if (rewrite.Authority is { } authority && !IsAuthority(authority))
        {
            Error(vs, $"{path}.authority", $"authority '{authority}' is not a host or host:port; give the Host the upstream should see, e.g. 'reviews.internal'.");
        }

        if (rewrite.UriRegexRewrite is { } regex)
        {
            CheckRegexRewrite(vs, regex, $"{path}.uriRegexRewrite");
        }
    }

    private void CheckRegexRewrite(VirtualServiceResource vs, RegexRewriteSpec regex, string path)
    {
        if (string.IsNullOrEmpty(regex.Match))
        {
            Error(vs, $"{path}.match", "match is missing; give the RE2 regex to find in the path, e.g. '^/service/([^/]+)(/.*)$'.");
        }

        if (regex.Rewrite is null)
        {
            Error(vs, $"{path}.rewrite", "rewrite is missing; give what each match becomes, e.g. '\\2/instance/\\1'.");
        }

        if (string.IsNullOrEmpty(regex.Match))
        {
            return;
        }

        if (Re2Syntax.Check(regex.Match) is { } problem)
        {
            Error(vs, $"{path}.match", $"regex '{regex.Match}' is refused: {problem}; Envoy compiles regexes with RE2, so write it without lookaround, backreferences or possessive/atomic constructs.");
            return;
        }

        if (regex.Rewrite is { } substitution && Re2Rewrite.Check(substitution, Re2Rewrite.CaptureGroupCount(regex.Match)) is { } wrong)
        {
            Error(vs, $"{path}.rewrite", $"rewrite '{substitution}' is refused: {wrong}.");
        }
    }

    /// <summary>host or host:port as a Host header carries it (IPv6 in brackets).</summary>
    private static bool IsAuthority(string authority)
    {
        if (authority.Length == 0)
        {
            return false;
        }

        var host = authority;
        var bracket = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        if (colon > bracket)
        {
            if (!int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
            {
                return false;
            }

            host = authority[..colon];
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            return Uri.CheckHostName(host[1..^1]) == UriHostNameType.IPv6;
        }

        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
