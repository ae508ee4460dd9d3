using MeshDev.ControlPlane.Api.Access;
using MeshDev.ControlPlane.ProxyAdmin;
using MeshDev.Core.Api;

namespace MeshDev.ControlPlane.Api;

/// <summary>The live mesh graph, and what a proxy's admin listener holds, read on the dashboard's behalf.</summary>
public static class TopologyEndpoints
{
    private static readonly TimeSpan ConfigDumpTimeout = TimeSpan.FromSeconds(5);

    public static RouteGroupBuilder MapTopologyApi(this RouteGroupBuilder api)
    {
        api.MapGet("/topology", (TopologyView topology) => TypedResults.Ok(topology.Current()));

        // The page never calls proxies itself: admin listeners bind loopback, and may be on another host's.
        api.MapGet("/proxies/{id}/config_dump", async (string id, MeshViews views, ProxyAdminClient admin, CancellationToken cancellationToken) =>
        {
            if (views.Proxy(id) is not { } proxy)
            {
                return Results.NotFound(new ErrorResponse($"No proxy with id '{id}' is registered."));
            }

            if (string.IsNullOrEmpty(proxy.AdminUrl))
            {
                return Results.Json(new ErrorResponse($"Proxy '{id}' registered no admin listener."), statusCode: StatusCodes.Status502BadGateway);
            }

            try
            {
                var dump = await admin.GetConfigDumpAsync(proxy.AdminUrl, ConfigDumpTimeout, cancellationToken);
                return Results.Text(dump, "application/json");
            }
            catch (ProxyAdminUnavailableException exception)
            {
                return Results.Json(
                    new ErrorResponse($"Cannot read the config dump of proxy '{id}': {exception.Message}."),
                    statusCode: StatusCodes.Status502BadGateway);
            }
        }).RequireApiToken();

        return api;
    }
}
