using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Discovery;

/// <summary>The checks <see cref="SnapshotValidator"/> makes on a route's redirect and rewrite; reasons name the field.</summary>
public static class RedirectRewriteValidator
{
    public static string? Validate(HttpRedirect redirect, string where)
    {
        if (redirect.RedirectCode is not (0 or 301 or 302 or 303 or 307 or 308))
        {
            return $"{where}: redirect.redirect_code {redirect.RedirectCode} is not 301, 302, 303, 307 or 308";
        }

        if (redirect.Scheme is not ("" or "http" or "https"))
        {
            return $"{where}: redirect.scheme '{redirect.Scheme}' is not http or https";
        }

        if (redirect.Port > 65535)
        {
            return $"{where}: redirect.port {redirect.Port} is above 65535";
        }

        if (!Enum.IsDefined(redirect.DerivePort))
        {
            return $"{where}: redirect.derive_port {(int)redirect.DerivePort} is not a known selection";
        }

        if (redirect.Uri.Length > 0 && !redirect.Uri.StartsWith('/'))
        {
            return $"{where}: redirect.uri '{redirect.Uri}' does not start with '/'";
        }

        return null;
    }

    public static string? Validate(HttpRewrite rewrite, string where)
    {
        if (rewrite.Uri.Length > 0 && rewrite.UriRegex is not null)
        {
            return $"{where}: rewrite has both uri and uri_regex; give one";
        }

        if (rewrite.Uri.Length > 0 && !rewrite.Uri.StartsWith('/'))
        {
            return $"{where}: rewrite.uri '{rewrite.Uri}' does not start with '/'";
        }

        if (rewrite.UriRegex is { } regex)
        {
            if (regex.Pattern.Length == 0)
            {
                return $"{where}: rewrite.uri_regex.pattern is empty";
            }

            // The pattern itself is compiled with the route table; a substitution that names a missing group is caught here.
            int groups;
            try
            {
                groups = Re2Rewrite.CaptureGroupCount(regex.Pattern);
            }
            catch (ArgumentException e)
            {
                return $"{where}: rewrite.uri_regex.pattern '{regex.Pattern}' does not compile: {e.Message}";
            }

            if (Re2Rewrite.Check(regex.Substitution, groups) is { } problem)
            {
                return $"{where}: rewrite.uri_regex.substitution '{regex.Substitution}': {problem}";
            }
        }

        return null;
    }
}
