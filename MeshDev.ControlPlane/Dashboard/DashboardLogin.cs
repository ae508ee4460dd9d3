using System.Net;
using MeshDev.ControlPlane.Api.Access;

namespace MeshDev.ControlPlane.Dashboard;

/// <summary>
/// The dashboard logs in the way Aspire's own does: the link the AppHost shows carries <c>/login?t=&lt;API token&gt;</c>;
/// the control plane checks it and answers with an HttpOnly, SameSite=Strict session cookie, and the page and its
/// API calls go on with that cookie. Without it the dashboard's page says how to log in.
/// </summary>
public static class DashboardLogin
{
    public const string Path = "/login";

    public static bool HasSession(HttpContext context, ApiToken token) =>
        token.MatchesSession(context.Request.Cookies[ApiToken.SessionCookieName]);

    public static IEndpointRouteBuilder MapDashboardLogin(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (HttpContext context, ApiToken token) =>
        {
            NoStore(context);
            // The token is in this URL: no page this answer loads may be told it through a Referer.
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            if (!token.Matches(context.Request.Query["t"].ToString()))
            {
                return Page(StatusCodes.Status401Unauthorized, "This login link is not valid",
                    "The link's token is not this control plane's API token; it may come from an earlier run of the AppHost. " + HowToLogIn);
            }

            context.Response.Cookies.Append(ApiToken.SessionCookieName, token.SessionValue, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                Path = "/",
                IsEssential = true,
            });
            // A page, not a 302: a redirect that follows a click in the Aspire dashboard (another site when it is served
            // over https or from another host name) would not carry a SameSite=Strict cookie; a navigation this page
            // starts is same-origin and does. The script moves on at once; headless Chromium was seen to leave a
            // zero-delay meta refresh unfollowed, which stays only for a browser without scripts.
            return Results.Content(
                """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/">
                <title>MeshDev control plane</title><link rel="stylesheet" href="/dashboard/dashboard.css"></head>
                <body><main><p>Logged in. Opening <a href="/">the mesh dashboard</a>…</p></main>
                <script>location.replace("/");</script></body></html>
                """,
                "text/html; charset=utf-8");
        });
        return endpoints;
    }

    /// <summary>The page a browser gets at the dashboard without the login cookie.</summary>
    public static IResult LoginNeeded(HttpContext context)
    {
        NoStore(context);
        return Page(StatusCodes.Status401Unauthorized, "Log in to the mesh dashboard",
            "The dashboard shows and changes the mesh, so it opens only with the control plane's API token. " + HowToLogIn);
    }

    private const string HowToLogIn =
        "Open it from the Aspire dashboard: the control plane's <b>Mesh dashboard</b> link carries the token and logs you in. " +
        "Or run <code>meshctl dashboard</code> beside the AppHost, which prints that link. Without an AppHost, the control plane " +
        "wrote the token it made to <code>api-token</code> in its data folder: open <code>/login?t=&lt;token&gt;</code>.";

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    private static IResult Page(int status, string title, string html) => Results.Content(
        $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(title)} · MeshDev</title>
        <link rel="stylesheet" href="/dashboard/dashboard.css"></head>
        <body><header><h1>MeshDev</h1></header>
        <main><section class="login" id="login-needed"><h2>{WebUtility.HtmlEncode(title)}</h2><p class="pad">{html}</p></section></main></body></html>
        """,
        "text/html; charset=utf-8",
        statusCode: status);
}
