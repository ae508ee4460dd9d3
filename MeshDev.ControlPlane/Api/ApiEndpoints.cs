using System.Reflection;
using MeshDev.Core.Api;

namespace MeshDev.ControlPlane.Api;

public static class ApiEndpoints
{
    public const string ProductName = "MeshDev control plane";

    public static IEndpointRouteBuilder MapControlPlaneApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1");

        api.MapGet("/services", (MeshViews views) => TypedResults.Ok(views.Services()));
        api.MapGet("/proxies", (MeshViews views) => TypedResults.Ok(views.Proxies()));
        api.MapGet("/proxies/{id}", (string id, MeshViews views) => views.Proxy(id) is { } proxy
            ? Results.Ok(proxy)
            : Results.NotFound(new ErrorResponse($"No proxy with id '{id}' is registered.")));
        api.MapGet("/version", () => TypedResults.Ok(new VersionResponse(ProductName, ProductVersion)));

        api.MapConfigApi();
        api.MapCertificateApi();
        api.MapTopologyApi();

        api.MapFallback((HttpContext context) => Results.NotFound(
            new ErrorResponse($"No API endpoint for {context.Request.Method} {context.Request.Path}.")));

        return endpoints;
    }

    private static string ProductVersion { get; } =
        typeof(ApiEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ApiEndpoints).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
