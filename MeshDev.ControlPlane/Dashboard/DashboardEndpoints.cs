using MeshDev.ControlPlane.Api.Access;

namespace MeshDev.ControlPlane.Dashboard;

/// <summary>
/// The mesh dashboard: a page and its scripts and styles, embedded in the assembly (no CDN, nothing to download,
/// no build step), that polls the HTTP API, so what it shows is exactly what tools see. The page opens only with
/// the login cookie (see <see cref="DashboardLogin"/>); its scripts and styles hold nothing of the mesh and are open.
/// </summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (HttpContext context, ApiToken token) =>
            DashboardLogin.HasSession(context, token) ? Asset("index.html") : DashboardLogin.LoginNeeded(context));
        endpoints.MapGet("/dashboard/{file}", (string file) => Asset(file));
        endpoints.MapDashboardLogin();
        return endpoints;
    }

    private static IResult Asset(string file) => DashboardAssets.Find(file) is { } asset
        ? Results.Bytes(asset.Content, asset.ContentType)
        : Results.NotFound();
}
