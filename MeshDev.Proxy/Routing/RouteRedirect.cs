using System.Globalization;
using MeshDev.Core.Discovery;
using DerivePort = MeshDev.Core.Discovery.HttpRedirect.Types.DerivePort;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// A route that answers with a redirect instead of forwarding (Istio's HTTPRedirect, Envoy's redirect action). The
/// Location is the request's own URL with the configured parts replaced: uri replaces the whole path (and the query
/// only when it carries one), authority the host, scheme the scheme, port or derive_port the port.
/// </summary>
public sealed class RouteRedirect
{
    private readonly string? _uri;
    private readonly string? _authority;
    private readonly string? _scheme;
    private readonly int _port;
    private readonly DerivePort _derivePort;

    public RouteRedirect(HttpRedirect redirect)
    {
        _uri = NullIfEmpty(redirect.Uri);
        _authority = NullIfEmpty(redirect.Authority);
        _scheme = NullIfEmpty(redirect.Scheme);
        _port = (int)redirect.Port;
        _derivePort = redirect.DerivePort;
        StatusCode = redirect.RedirectCode == 0 ? StatusCodes.Status301MovedPermanently : (int)redirect.RedirectCode;
    }

    public int StatusCode { get; }

    /// <summary>As the config dump shows it.</summary>
    public (string? Uri, string? Authority, string? Scheme, int Port, DerivePort DerivePort) Parts => (_uri, _authority, _scheme, _port, _derivePort);

    public string Location(HttpRequest request)
    {
        var requestScheme = request.Scheme;
        var scheme = _scheme ?? requestScheme;
        var requestHost = request.Host.Value ?? "";
        var (requestHostName, requestPort) = SplitPort(requestHost);

        string authority;
        if (_port > 0)
        {
            authority = HostName(_authority ?? requestHostName) + PortSuffix(_port, scheme);
        }
        else if (_derivePort == DerivePort.FromProtocolDefault)
        {
            authority = HostName(_authority ?? requestHostName);
        }
        else if (_derivePort == DerivePort.FromRequestPort)
        {
            // The port the client addressed: its Host's, else the one it connected to.
            authority = HostName(_authority ?? requestHostName) + PortSuffix(requestPort ?? request.HttpContext.Connection.LocalPort, scheme);
        }
        else if (_authority is not null)
        {
            authority = _authority;
        }
        else
        {
            // Envoy keeps the Host's port, except the default port of a scheme the redirect moves away from.
            var dropPort = scheme != requestScheme && requestPort == DefaultPort(requestScheme);
            authority = dropPort ? requestHostName : requestHost;
        }

        string pathAndQuery;
        if (_uri is null)
        {
            pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        }
        else
        {
            // A query of its own replaces the request's; otherwise the request's query is kept (Envoy's path_redirect).
            pathAndQuery = _uri.Contains('?') ? _uri : _uri + request.QueryString.ToUriComponent();
        }

        return $"{scheme}://{authority}{pathAndQuery}";
    }

    /// <summary>Answers the request: the redirect status, Location and no body.</summary>
    public void Write(HttpContext context, HeaderOperations responseHeaders)
    {
        context.Response.StatusCode = StatusCode;
        context.Response.Headers.Location = Location(context.Request);
        if (!responseHeaders.IsEmpty)
        {
            responseHeaders.Apply(context.Response.Headers);
        }
    }

    private static string HostName(string authority) => SplitPort(authority).Host;

    /// <summary>host[:port] or [v6]:port into its host and port.</summary>
    private static (string Host, int? Port) SplitPort(string authority)
    {
        var colon = authority.LastIndexOf(':');
        if (colon < 0 || colon < authority.LastIndexOf(']'))
        {
            return (authority, null);
        }

        return int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? (authority[..colon], port)
            : (authority, null);
    }

    private static string PortSuffix(int port, string scheme) =>
        port == DefaultPort(scheme) ? "" : ":" + port.ToString(CultureInfo.InvariantCulture);

    private static int? DefaultPort(string scheme) => scheme switch
    {
        "http" => 80,
        "https" => 443,
        _ => null,
    };

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
