using System.Text.RegularExpressions;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// What a route changes in a request before forwarding it (Istio's HTTPRewrite). The path: Envoy's prefix_rewrite,
/// which swaps the prefix the matching block matched (a block without a uri match matches the prefix "/") and the
/// whole path after an exact or regex match; or Envoy's regex_rewrite, which replaces every match of its pattern in
/// the path. The query is kept either way, and the original path and query travel in x-envoy-original-path. The
/// authority becomes the Host header.
/// </summary>
public sealed class RouteRewrite
{
    public const string OriginalPathHeader = "x-envoy-original-path";

    private readonly string? _uri;
    private readonly string? _authority;
    private readonly Regex? _regex;
    private readonly string? _substitution;

    /// <exception cref="InvalidSnapshotException">The regex does not compile.</exception>
    public RouteRewrite(HttpRewrite rewrite, string where)
    {
        _uri = rewrite.Uri.Length == 0 ? null : rewrite.Uri;
        _authority = rewrite.Authority.Length == 0 ? null : rewrite.Authority;
        if (rewrite.UriRegex is { } regex)
        {
            Pattern = regex.Pattern;
            Substitution = regex.Substitution;
            _substitution = Re2Rewrite.ToDotNet(regex.Substitution);
            try
            {
                // Searched, not anchored; the non-backtracking engine keeps it linear like RE2.
                _regex = new Regex(Re2Rewrite.ToDotNetPattern(regex.Pattern), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new InvalidSnapshotException($"{where}: rewrite.uri_regex.pattern '{regex.Pattern}' does not compile: {e.Message}");
            }
        }
    }

    public string? Uri => _uri;

    public string? Authority => _authority;

    public string? Pattern { get; }

    public string? Substitution { get; }

    /// <param name="matchedUri">The uri condition of the match block that selected the route; null when it had none.</param>
    public void Apply(HttpRequest request, StringMatcher? matchedUri)
    {
        if (_authority is not null)
        {
            request.Host = new HostString(_authority);
        }

        var path = request.Path.Value ?? "/";
        string rewritten;
        if (_uri is not null)
        {
            var (kind, value) = matchedUri?.Describe() ?? ("prefix", "/");
            rewritten = kind == "prefix" && path.Length >= value.Length ? _uri + path[value.Length..] : _uri;
        }
        else if (_regex is not null)
        {
            rewritten = _regex.Replace(path, _substitution!);
        }
        else
        {
            return;
        }

        request.Headers[OriginalPathHeader] = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        // A path always starts with '/', whatever a substitution left.
        request.Path = new PathString(rewritten.StartsWith('/') ? rewritten : "/" + rewritten);
    }
}
