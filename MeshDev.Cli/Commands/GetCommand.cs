using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using MeshDev.Cli.Manifests;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl get KIND|all [NAME] [-n NS]: the running config from GET /api/v1/config. A list covers every namespace
/// unless -n narrows it; one resource by name is looked up in -n (default "default"). YAML output is the resource
/// as Istio YAML (without MeshDev's "source", "origin" and "file"), so it can be edited and applied back.
/// --applied keeps only what was applied through the API (not the watched folder's files): with -o yaml, a file to
/// commit into the watched folder.
/// </summary>
public static class GetCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var kind = new Argument<string>("kind") { Description = $"Resource kind, or all: {ResourceKinds.Names}" };
        var name = new Argument<string?>("name") { Description = "Resource name (optional)", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only this namespace (a named resource: default \"default\")" };
        var applied = new Option<bool>("--applied") { Description = "Only resources applied through the API (meshctl apply, the dashboards), not the watched folder's" };
        var command = new Command("get", "List the resources of the running config, or show one") { kind, name, ns, applied };
        CommandAction.Set(command, options, console, (parse, context, ct) =>
        {
            var kindName = parse.GetValue(kind)!;
            var resourceKind = kindName.Equals("all", StringComparison.OrdinalIgnoreCase) ? null : ResourceKinds.Parse(kindName);
            return parse.GetValue(name) is { } resourceName
                ? GetOneAsync(context, resourceKind ?? throw new MeshctlException("get all takes no name; name a kind", ExitCodes.UsageOrUnreachable),
                    parse.GetValue(ns) ?? ManifestDocuments.DefaultNamespace, resourceName, ct)
                : ListAsync(context, resourceKind, parse.GetValue(ns), parse.GetValue(applied), ct);
        });
        return command;
    }

    private static async Task<int> GetOneAsync(CommandContext context, ResourceKind kind, string ns, string name, CancellationToken cancellationToken)
    {
        var response = await context.Api.GetAsync(
            $"api/v1/config/{kind.Kind}/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}", cancellationToken);
        if (response.Status == HttpStatusCode.NotFound)
        {
            throw new MeshctlException($"{kind.QualifiedName}/{name} not found in namespace {ns}");
        }

        var resource = Expect<JsonObject>(response, "a resource");
        Print(context, [resource], kind, qualifyNames: false, single: true);
        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(CommandContext context, ResourceKind? kind, string? ns, bool appliedOnly, CancellationToken cancellationToken)
    {
        var response = await context.Api.GetAsync(kind is null ? "api/v1/config" : $"api/v1/config?kind={kind.Kind}", cancellationToken);
        var resources = (Expect<JsonObject>(response, "the config")["resources"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(r => kind is null || Kind(r).Equals(kind.Kind, StringComparison.OrdinalIgnoreCase))
            .Where(r => ns is null || Namespace(r) == ns)
            .Where(r => !appliedOnly || (string?)r["origin"] == "api")
            .ToList();

        if (resources.Count == 0 && context.Format == OutputFormat.Table)
        {
            await context.Error.WriteLineAsync(ns is null ? "No resources found." : $"No resources found in namespace {ns}.");
            return ExitCodes.Success;
        }

        Print(context, resources, kind, qualifyNames: kind is null, single: false);
        return ExitCodes.Success;
    }

    private static void Print(CommandContext context, IReadOnlyList<JsonObject> resources, ResourceKind? kind, bool qualifyNames, bool single)
    {
        switch (context.Format)
        {
            case OutputFormat.Json:
                StructuredWriter.Write(context.Out, OutputFormat.Json, single ? resources[0] : new JsonArray(resources.Select(r => (JsonNode?)r.DeepClone()).ToArray()));
                return;
            case OutputFormat.Yaml:
                StructuredWriter.WriteYamlDocuments(context.Out, resources.Select(AsIstioYaml));
                return;
        }

        var sections = resources.GroupBy(Kind, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => ResourceKinds.Find(g.Key) is { } known ? ResourceKinds.All.ToList().IndexOf(known) : int.MaxValue);
        var first = true;
        foreach (var section in sections)
        {
            if (!first)
            {
                context.Out.WriteLine();
            }

            ResourceTables.For(ResourceKinds.Find(section.Key) ?? kind, section, qualifyNames).WriteTo(context.Out);
            first = false;
        }
    }

    private static JsonNode AsIstioYaml(JsonObject resource)
    {
        var copy = (JsonObject)resource.DeepClone();
        copy.Remove("source");
        copy.Remove("origin");
        copy.Remove("file");
        return copy;
    }

    private static T Expect<T>(Api.ApiResponse response, string what) where T : JsonNode =>
        response.IsSuccess && response.Body is T body
            ? body
            : throw new MeshctlException($"the control plane did not return {what} (HTTP {(int)response.Status}): {response.ErrorText}");

    internal static string Kind(JsonObject resource) => (string?)resource["kind"] ?? "";

    internal static string Namespace(JsonObject resource) =>
        resource["metadata"]?["namespace"] is JsonValue v && v.TryGetValue<string>(out var ns) && ns.Length > 0 ? ns : ManifestDocuments.DefaultNamespace;
}
