namespace MeshDev.ControlPlane.Dashboard;

/// <summary>
/// The dashboard: one self-contained page (no CDN, nothing to download) that polls the HTTP API, so what it shows
/// is exactly what tools see.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("MeshDev.ControlPlane.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("The dashboard page is missing from the assembly's resources.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => Results.Bytes(Page.Value, "text/html; charset=utf-8"));
        return endpoints;
    }
}
