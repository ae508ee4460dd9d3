using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Core.Api;

namespace MeshDev.Hosting;

/// <summary>
/// The Aspire dashboard's buttons for mesh traffic on an app in the mesh: they write real Istio resources — a
/// VirtualService and, to pin a version, a DestinationRule, both named <c>aspire-&lt;service&gt;</c> — through the control
/// plane's config API, so what a button does is what the same YAML would do on a cluster, and shows up in
/// <c>meshctl get</c> and the mesh dashboard like any other config.
/// </summary>
internal static class MeshTrafficCommands
{
    public const string InjectAbortCommand = "mesh-inject-503";
    public const string InjectDelayCommand = "mesh-inject-delay";
    public const string RouteToVersionCommand = "mesh-route-to-version";
    public const string ClearCommand = "mesh-clear-rules";

    public static void Add<T>(IResourceBuilder<T> app, MeshSidecarResource sidecar) where T : IResource
    {
        var state = sidecar.ControlPlane.TrafficCommandState;
        var service = sidecar.Service;
        app.WithCommand(InjectAbortCommand, "Inject 50% HTTP 503",
                context => ApplyAsync(sidecar, state.Update(service, s => s with { Fault = MeshFault.Abort503Half }), context.CancellationToken),
                new CommandOptions { Description = $"Every caller of '{service}' gets HTTP 503 for half of its requests.", IconName = "ErrorCircle" })
            .WithCommand(InjectDelayCommand, "Inject 2 s delay",
                context => ApplyAsync(sidecar, state.Update(service, s => s with { Fault = MeshFault.Delay2s }), context.CancellationToken),
                new CommandOptions { Description = $"Every request to '{service}' waits 2 s before it is sent.", IconName = "Clock" })
            .WithCommand(RouteToVersionCommand, "Route all to this version",
                context => RouteToVersionAsync(sidecar, context.CancellationToken),
                new CommandOptions
                {
                    Description = $"All of '{service}' goes to this instance's version.",
                    IconName = "BranchFork",
                    UpdateState = _ => sidecar.Labels.ContainsKey("version") ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                })
            .WithCommand(ClearCommand, "Clear mesh rules",
                context => ClearAsync(sidecar, context.CancellationToken),
                new CommandOptions { Description = $"Removes what these buttons applied to '{service}'.", IconName = "Dismiss" });
    }

    private static async Task<ExecuteCommandResult> RouteToVersionAsync(MeshSidecarResource sidecar, CancellationToken cancellationToken)
    {
        if (!sidecar.Labels.TryGetValue("version", out var version))
        {
            return CommandResults.Failure($"'{sidecar.App.Name}' has no 'version' label to route to.");
        }
        var state = sidecar.ControlPlane.TrafficCommandState.Update(sidecar.Service, s => s with { Version = version });
        return await ApplyAsync(sidecar, state, cancellationToken);
    }

    private static async Task<ExecuteCommandResult> ApplyAsync(MeshSidecarResource sidecar, ServiceTrafficState state, CancellationToken cancellationToken)
    {
        using var client = await sidecar.ControlPlane.CreateApiClientAsync(TimeSpan.FromSeconds(10), cancellationToken);
        string? subset = null;
        var documents = new List<string>();
        if (state.Version is { } version)
        {
            // A DestinationRule the user already has for the service keeps its say: use its subset for the version
            // if it has one, rather than a second rule that the control plane would refuse as conflicting.
            var existing = await FindUserDestinationRuleAsync(client, sidecar.Service, cancellationToken);
            if (existing is { } rule)
            {
                subset = SubsetFor(rule, version);
                if (subset is null)
                {
                    return CommandResults.Failure(
                        $"DestinationRule {rule.Metadata.Namespace}/{rule.Metadata.Name} " +
                        $"for '{sidecar.Service}' has no subset with labels version={version}; add one, or delete that rule, and try again.");
                }
            }
            else
            {
                subset = version;
                documents.Add(DestinationRuleYaml(sidecar));
            }
        }
        documents.Add(VirtualServiceYaml(sidecar.Service, sidecar.ControlPlane.Namespace, state, subset));
        return await PostAsync(client, string.Join("---\n", documents), cancellationToken);
    }

    private static async Task<ExecuteCommandResult> ClearAsync(MeshSidecarResource sidecar, CancellationToken cancellationToken)
    {
        sidecar.ControlPlane.TrafficCommandState.Clear(sidecar.Service);
        using var client = await sidecar.ControlPlane.CreateApiClientAsync(TimeSpan.FromSeconds(10), cancellationToken);
        // The route goes before the rule whose subsets it may name.
        foreach (var kind in new[] { "VirtualService", "DestinationRule" })
        {
            using var response = await client.DeleteAsync($"/api/v1/config/{kind}/{sidecar.ControlPlane.Namespace}/{ResourceName(sidecar.Service)}", cancellationToken);
            if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
            {
                return CommandResults.Failure($"The control plane refused to delete {kind} {sidecar.ControlPlane.Namespace}/{ResourceName(sidecar.Service)}: {await ErrorOfAsync(response, cancellationToken)}");
            }
        }
        return CommandResults.Success();
    }

    private static async Task<ResourceResponse?> FindUserDestinationRuleAsync(HttpClient client, string service, CancellationToken cancellationToken)
    {
        var config = await client.GetFromJsonAsync("/api/v1/config?kind=DestinationRule", MeshApiJsonContext.Default.ConfigListResponse, cancellationToken)
            ?? throw new JsonException("The control plane answered null for its config.");
        foreach (var rule in config.Resources)
        {
            var host = rule.Spec["host"]?.GetValue<string>();
            if (rule.Metadata.Name != ResourceName(service) && host is not null && (host == service || host.StartsWith(service + ".", StringComparison.Ordinal)))
            {
                return rule;
            }
        }
        return null;
    }

    // The spec is Istio's DestinationRule as the user wrote it, so it stays JSON.
    private static string? SubsetFor(ResourceResponse rule, string version)
    {
        if (rule.Spec["subsets"] is not JsonArray subsets)
        {
            return null;
        }
        foreach (var subset in subsets.OfType<JsonObject>())
        {
            if (subset["labels"] is JsonObject labels
                && labels.Count == 1
                && labels["version"] is JsonValue v && v.GetValue<string>() == version)
            {
                return subset["name"]?.GetValue<string>();
            }
        }
        return null;
    }

    private static string DestinationRuleYaml(MeshSidecarResource sidecar)
    {
        var versions = sidecar.ControlPlane.Sidecars
            .Where(s => s.Service == sidecar.Service && s.Labels.ContainsKey("version"))
            .Select(s => s.Labels["version"]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: {ResourceName(sidecar.Service)}
              namespace: {sidecar.ControlPlane.Namespace}
            spec:
              host: {sidecar.Service}
              subsets:

            """);
        foreach (var version in versions)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  - name: {version}
                    labels:
                      version: {version}

                """);
        }
        return yaml.ToString();
    }

    private static string VirtualServiceYaml(string service, string @namespace, ServiceTrafficState state, string? subset)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: {ResourceName(service)}
              namespace: {@namespace}
            spec:
              hosts:
              - {service}
              http:
              - route:
                - destination:
                    host: {service}

            """);
        if (subset is not null)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"        subset: {subset}\n");
        }
        switch (state.Fault)
        {
            case MeshFault.Abort503Half:
                yaml.Append("    fault:\n      abort:\n        httpStatus: 503\n        percentage:\n          value: 50\n");
                break;
            case MeshFault.Delay2s:
                yaml.Append("    fault:\n      delay:\n        fixedDelay: 2s\n        percentage:\n          value: 100\n");
                break;
        }
        return yaml.ToString();
    }

    private static async Task<ExecuteCommandResult> PostAsync(HttpClient client, string yaml, CancellationToken cancellationToken)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await client.PostAsync("/api/v1/config?source=aspire-command", content, cancellationToken);
        return response.IsSuccessStatusCode
            ? CommandResults.Success()
            : CommandResults.Failure($"The control plane refused the change: {await ErrorOfAsync(response, cancellationToken)}");
    }

    private static async Task<string> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            // {"error"} or, for refused config, {"error","messages":[...]}.
            if (JsonSerializer.Deserialize(body, MeshApiJsonContext.Default.ConfigErrorResponse) is { Error: { } error } refusal)
            {
                var messages = refusal.Messages is { } list ? string.Join("; ", list.Select(m => $"{m.Field}: {m.Message}")) : "";
                return $"{error} {messages}".Trim();
            }
        }
        catch (JsonException)
        {
        }

        return $"HTTP {(int)response.StatusCode}: {body}";
    }

    internal static string ResourceName(string service) => $"aspire-{service}";
}

internal enum MeshFault
{
    None,
    Abort503Half,
    Delay2s,
}

/// <summary>What the buttons have set for one service: one fault at a time, and the version all traffic goes to.</summary>
internal sealed record ServiceTrafficState(MeshFault Fault, string? Version);

/// <summary>The buttons' state per service, so that a delay and a version pin applied one after the other combine.</summary>
internal sealed class TrafficCommandState
{
    private readonly Dictionary<string, ServiceTrafficState> _services = new(StringComparer.Ordinal);

    public ServiceTrafficState Update(string service, Func<ServiceTrafficState, ServiceTrafficState> change)
    {
        lock (_services)
        {
            var next = change(_services.GetValueOrDefault(service) ?? new ServiceTrafficState(MeshFault.None, null));
            _services[service] = next;
            return next;
        }
    }

    public void Clear(string service)
    {
        lock (_services)
        {
            _services.Remove(service);
        }
    }
}
