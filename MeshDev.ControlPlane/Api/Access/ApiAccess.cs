using System.Net;
using MeshDev.Core;
using MeshDev.Core.Api;
using Microsoft.Net.Http.Headers;

namespace MeshDev.ControlPlane.Api.Access;

/// <summary>Marks a read that needs the API's credential: config dumps, certificates, CA material.</summary>
public sealed class ApiTokenRequired
{
    public static readonly ApiTokenRequired Instance = new();

    private ApiTokenRequired()
    {
    }
}

public static class ApiAccessEndpointExtensions
{
    /// <summary>This read answers only a request with the API token or the dashboard's login cookie.</summary>
    public static TBuilder RequireApiToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ApiTokenRequired.Instance);
}

/// <summary>
/// Who may use the HTTP listener (the gRPC listener has its own checks). In order:
/// <list type="number">
/// <item>Host: a loopback name (localhost, 127.0.0.1, [::1]), a name in
/// <see cref="MeshEnvironment.ControlPlane.AllowedHosts"/> or the IP address the control plane binds; anything else is
/// 421, which is what defeats DNS rebinding (a rebound page sends its own host name).</item>
/// <item>Writes (every method but GET, HEAD, OPTIONS, TRACE): a browser's cross-origin request (an Origin that is not
/// this listener's own, or Sec-Fetch-Site other than same-origin/none) is 403; a body a plain HTML form or a
/// no-CORS fetch can send (form-encoded, multipart, text/plain) is 415; then the credential.</item>
/// <item>The credential, for writes and for reads marked <see cref="ApiTokenRequired"/>: <c>Authorization: Bearer</c>
/// with the API token, or the dashboard's login cookie — which for a write must come with this listener's own Origin,
/// so that only the dashboard's own page can spend it. Otherwise 401.</item>
/// </list>
/// Every refusal happens before the endpoint runs, so a refused request changes nothing.
/// </summary>
public sealed class ApiAccess(ApiToken token, ControlPlaneOptions options)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "::1"];

    private static readonly string[] FormContentTypes = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

    private readonly HashSet<string> _allowedHosts = new(
        LoopbackHosts.Concat(options.AllowedHosts).Concat(SpecificBindAddress(options.BindAddress)), StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (ControlPlaneListeners.ListenerOf(context) == ControlPlaneListener.Grpc)
        {
            await next(context);
            return;
        }

        var refusal = Check(context);
        if (refusal is null)
        {
            await next(context);
            return;
        }

        var (status, message) = refusal.Value;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ErrorResponse(message), context.RequestAborted);
    }

    private (int Status, string Message)? Check(HttpContext context)
    {
        var request = context.Request;
        // HTTP/1.0 without a Host header comes from tools, never from a browser, so it cannot be a rebound page.
        if (request.Host.HasValue && !_allowedHosts.Contains(HostName(request.Host)))
        {
            return (StatusCodes.Status421MisdirectedRequest,
                $"This control plane does not answer to host '{request.Host}'. It answers to localhost, 127.0.0.1 and [::1] (any port) " +
                $"and to the names in '{MeshEnvironment.ControlPlane.AllowedHosts}'; other host names are refused so that no web page can reach it by DNS rebinding.");
        }

        var isWrite = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method));
        var ownOrigin = $"{request.Scheme}://{request.Host}";
        var origin = request.Headers.Origin.ToString();
        if (isWrite)
        {
            var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
            if (fetchSite.Length > 0 && fetchSite is not ("same-origin" or "none"))
            {
                return (StatusCodes.Status403Forbidden,
                    $"Refused a {request.Method} sent by a page of another site (Sec-Fetch-Site: {fetchSite}); the control plane takes changes only from its own dashboard and from tools.");
            }

            if (origin.Length > 0 && !string.Equals(origin, ownOrigin, StringComparison.OrdinalIgnoreCase))
            {
                return (StatusCodes.Status403Forbidden,
                    $"Refused a {request.Method} from origin '{origin}'; the control plane takes changes only from its own origin ({ownOrigin}) and from tools, which send no Origin.");
            }

            if (IsFormContent(request.ContentType))
            {
                return (StatusCodes.Status415UnsupportedMediaType,
                    $"Refused a {request.Method} with Content-Type '{request.ContentType}', which any web page can send; send YAML as application/yaml.");
            }
        }

        if (!isWrite && context.GetEndpoint()?.Metadata.GetMetadata<ApiTokenRequired>() is null)
        {
            return null;
        }

        if (BearerToken(request) is { } bearer)
        {
            return token.Matches(bearer)
                ? null
                : (StatusCodes.Status401Unauthorized, $"The bearer token is not this control plane's API token. {WhereTheTokenIs}");
        }

        // The cookie is sent by the browser on its own; a write spends it only when the page says it is this origin's.
        if (token.MatchesSession(request.Cookies[ApiToken.SessionCookieName]) && (!isWrite || origin.Length > 0))
        {
            return null;
        }

        return (StatusCodes.Status401Unauthorized,
            $"{(isWrite ? $"{request.Method} {request.Path}" : $"GET {request.Path}")} needs the control plane's API token (Authorization: Bearer <token>). {WhereTheTokenIs}");
    }

    private const string WhereTheTokenIs =
        "Under an AppHost it is in .meshdev/api-token beside the AppHost (meshctl finds it there); a control plane run on its own " +
        "writes the one it made to api-token in its data folder. The dashboard logs in through the link in the Aspire dashboard.";

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }

    private static bool IsFormContent(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            && FormContentTypes.Contains(parsed.MediaType.ToString(), StringComparer.OrdinalIgnoreCase);

    private static string HostName(HostString host) => host.Host.TrimStart('[').TrimEnd(']');

    // A control plane bound to one address (a pod's IP) is reached at it; an IP literal cannot be rebound.
    private static IEnumerable<string> SpecificBindAddress(string bindAddress) =>
        IPAddress.TryParse(bindAddress, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? [address.ToString()]
            : [];
}
