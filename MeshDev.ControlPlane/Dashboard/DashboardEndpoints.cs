namespace MeshDev.ControlPlane.Dashboard;

/// <summary>
/// The mesh dashboard: a page and its scripts and styles, embedded in the assembly (no CDN, nothing to download,
/// no build step), that polls the HTTP API, so what it shows is exactly what tools see.
/// </summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => Asset("index.html"));
        endpoints.MapGet("/dashboard/{file}", (string file) => Asset(file));
        return endpoints;
    }

    private static IResult Asset(string file) => DashboardAssets.Find(file) is { } asset
        ? Results.Bytes(asset.Content, asset.ContentType)
        : Results.NotFound();
}
