using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace MeshDev.Tests.Kubernetes;

/// <summary>A kustomize tree the publish step wrote, and the checks every such tree must pass.</summary>
public sealed class KubernetesTree(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>KubernetesClient's built-in kinds, and Istio's kinds as <see cref="IstioObject"/>.</summary>
    public static readonly IReadOnlyDictionary<string, Type> TypeMap = BuildTypeMap();

    /// <summary>Runs the AppHost's publish step (the real pipeline, in the AppHost's own process) into <paramref name="output"/>.</summary>
    public static async Task<KubernetesTree> PublishAsync(string appHostProject, string output, params string[] arguments)
    {
        var (exitCode, log) = await Repository.RunAsync("dotnet",
            ["run", "--project", appHostProject, "-c", Repository.Configuration, "--no-build", "--",
             "--operation", "publish", "--step", "publish", "--output-path", output, .. arguments]);
        Assert.True(exitCode == 0, $"Publishing {appHostProject} failed ({exitCode}):\n{log}");
        return new KubernetesTree(output);
    }

    /// <summary>Every file of the tree, by its path relative to the tree, as bytes.</summary>
    public SortedDictionary<string, byte[]> Files() => new(
        System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(Directory, f), File.ReadAllBytes),
        StringComparer.Ordinal);

    /// <summary>What <c>kubectl kustomize</c> renders, offline.</summary>
    public async Task<string> RenderAsync()
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", Directory]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {Directory} failed:\n{await stderr}");
        return await stdout;
    }

    /// <summary>Every object of a YAML stream through KubernetesClient's strict reader: unknown fields and wrong types throw.</summary>
    public static List<object> LoadStrict(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, TypeMap.ToDictionary(), strict: true);

    /// <summary>A YAML stream as JSON objects, with YAML's plain scalars typed as JSON would type them.</summary>
    public static JsonArray ToJson(string yaml)
    {
        var deserializer = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();
        var serializer = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        var objects = new JsonArray();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            var document = deserializer.Deserialize(parser);
            if (document is not null)
            {
                objects.Add(JsonNode.Parse(serializer.Serialize(document)));
            }
        }
        return objects;
    }

    /// <summary>
    /// Each object against the published schema of its kind (Kubernetes 1.36, Istio 1.29), by the npm packages
    /// kubernetes-models and @kubernetes-models/istio in tools/kubernetes-schema.
    /// </summary>
    public static async Task<JsonArray> ValidateSchemasAsync(JsonArray objects)
    {
        var tool = Path.Combine(Repository.Root(), "tools", "kubernetes-schema");
        Assert.True(System.IO.Directory.Exists(Path.Combine(tool, "node_modules", "kubernetes-models")),
            $"The schema checker is not installed: run `npm ci` in {tool} (test.sh does).");
        var start = new ProcessStartInfo("node", [Path.Combine(tool, "validate.mjs")])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tool,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(objects.ToJsonString());
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"The schema checker failed:\n{await stderr}");
        return JsonNode.Parse(await stdout)!.AsArray();
    }

    private static Dictionary<string, Type> BuildTypeMap()
    {
        var map = typeof(V1Deployment).Assembly.GetTypes()
            .Select(type => (Type: type, Entity: type.GetCustomAttribute<KubernetesEntityAttribute>()))
            .Where(t => t.Entity is { Kind.Length: > 0 } && !t.Type.Name.EndsWith("List", StringComparison.Ordinal))
            .GroupBy(t => (t.Entity!.Group.Length == 0 ? t.Entity.ApiVersion : $"{t.Entity.Group}/{t.Entity.ApiVersion}") + "/" + t.Entity.Kind)
            .ToDictionary(g => g.Key, g => g.First().Type);
        foreach (var apiVersion in IstioObject.ApiVersions)
        {
            foreach (var kind in IstioObject.Kinds)
            {
                map[$"{apiVersion}/{kind}"] = typeof(IstioObject);
            }
        }
        return map;
    }
}
