using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.Core.Api;
using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Api;

/// <summary>Istio config over HTTP: apply, list, get, delete, analyze (the contract meshctl speaks).</summary>
public static class ConfigEndpoints
{
    public const string DefaultSource = "api";

    public static RouteGroupBuilder MapConfigApi(this RouteGroupBuilder api)
    {
        api.MapPost("/config", async (HttpRequest request, IConfigStore store) =>
        {
            var source = SourceOf(request);
            var (text, refusal) = await ConfigRequestBody.ReadAsync(request, source);
            if (refusal is not null)
            {
                return refusal;
            }

            ConfigChangeResult result;
            try
            {
                result = store.Apply(text!, source);
            }
            catch (ConfigPersistenceException ex)
            {
                return NotKept(ex);
            }

            return result.Accepted
                ? Results.Ok(new ApplyResponse(
                    result.Applied.Select(a => new AppliedResourceResponse(a.Key.Kind, a.Key.Namespace, a.Key.Name, a.Action.ToString().ToLowerInvariant())).ToList(),
                    result.ConfigVersion))
                : Refused(result, source);
        });

        api.MapPost("/analyze", async (HttpRequest request, IConfigStore store) =>
        {
            var source = SourceOf(request);
            var (text, refusal) = await ConfigRequestBody.ReadAsync(request, source);
            if (refusal is not null)
            {
                return refusal;
            }

            var result = store.Analyze(text!, source);
            return Results.Ok(new AnalyzeResponse(result.Accepted, Messages(result.Messages)));
        });

        api.MapGet("/config", (string? kind, IConfigStore store) =>
        {
            var config = store.Current;
            string? canonical = null;
            if (kind is not null && (canonical = ConfigKinds.Canonical(kind)) is null)
            {
                return UnknownKind(kind);
            }

            return Results.Ok(new ConfigListResponse(config.Version,
                config.Resources.Where(r => canonical is null || r.Kind == canonical).Select(r => ConfigApiResponses.Resource(r, config)).ToList()));
        });

        api.MapGet("/config/messages", (IConfigStore store, JwksCache jwks) => Results.Ok(new ConfigMessagesResponse(
            store.Rejected.Select(r => new RejectedSourceResponse(r.Source, Messages(r.Messages))).ToList(),
            Messages(JwksStatus.Messages(store.Current, jwks)))));

        api.MapGet("/config/{kind}/{namespace}/{name}", (string kind, string @namespace, string name, IConfigStore store) =>
        {
            if (ConfigKinds.Canonical(kind) is not { } canonical)
            {
                return UnknownKind(kind);
            }

            var config = store.Current;
            return config.Find(new ResourceKey(canonical, @namespace, name)) is { } resource
                ? Results.Ok(ConfigApiResponses.Resource(resource, config))
                : Results.NotFound(new ErrorResponse($"No {canonical} {@namespace}/{name} in the config."));
        });

        api.MapDelete("/config/{kind}/{namespace}/{name}", (string kind, string @namespace, string name, IConfigStore store) =>
        {
            if (ConfigKinds.Canonical(kind) is not { } canonical)
            {
                return UnknownKind(kind);
            }

            var key = new ResourceKey(canonical, @namespace, name);
            ConfigChangeResult? result;
            try
            {
                result = store.Delete(key);
            }
            catch (ConfigPersistenceException ex)
            {
                return NotKept(ex);
            }

            return result switch
            {
                null => Results.NotFound(new ErrorResponse($"No {canonical} {@namespace}/{name} in the config.")),
                { Accepted: true } deleted => Results.Ok(new DeleteResponse(new ResourceKeyResponse(canonical, @namespace, name), deleted.ConfigVersion)),
                var refused => Refused(refused, $"the config without {key}"),
            };
        });

        return api;
    }

    private static string SourceOf(HttpRequest request) =>
        request.Query["source"].ToString() is { Length: > 0 } source ? source : DefaultSource;

    private static IResult Refused(ConfigChangeResult result, string source) =>
        Results.BadRequest(new ConfigErrorResponse($"{result.Errors.Count()} problem(s) in {source}", Messages(result.Messages)));

    /// <summary>The change was valid but could not be made durable, so it is not in force either.</summary>
    private static IResult NotKept(ConfigPersistenceException ex) =>
        Results.Json(new ErrorResponse($"The change was not made: {ex.Message}. The running config is unchanged."),
            statusCode: StatusCodes.Status500InternalServerError);

    private static IResult UnknownKind(string kind) =>
        Results.NotFound(new ErrorResponse($"Unknown kind '{kind}'; MeshDev keeps {string.Join(", ", ConfigKinds.Kinds)}."));

    private static List<ConfigMessageResponse> Messages(IEnumerable<ConfigMessage> messages) =>
        messages.Select(ConfigMessageResponse.From).ToList();
}
