using System.Text.Json.Nodes;
using Aspire.Hosting;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// Reads the mesh back from aspire-manifest.json: the <c>meshdev</c> objects of the mesh's entries, and the app
/// entries their sidecars stand beside. Gives the same topology as reading the AppHost's model.
/// </summary>
public static class ManifestTopologyReader
{
    public static MeshTopology Read(string manifestPath)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))
            ?? throw new DistributedApplicationException($"{manifestPath} is empty.");
        return Read(manifest, Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath);
    }

    public static MeshTopology Read(JsonNode manifest, string manifestDirectory, string source)
    {
        var resources = manifest["resources"]?.AsObject()
            ?? throw new DistributedApplicationException($"{source}: no 'resources' object.");
        var mesh = resources
            .Where(entry => entry.Value?[MeshManifest.MeshProperty] is JsonObject)
            .Select(entry => (Name: entry.Key, Mesh: entry.Value![MeshManifest.MeshProperty]!.AsObject()))
            .ToList();
        string Kind((string Name, JsonObject Mesh) entry) => Text(entry.Mesh, "kind", source, entry.Name);

        var controlPlaneEntries = mesh.Where(e => Kind(e) == MeshManifest.ControlPlaneKind).ToList();
        if (controlPlaneEntries.Count != 1)
        {
            throw new DistributedApplicationException(
                $"{source}: expected one mesh control plane entry (meshdev.kind = {MeshManifest.ControlPlaneKind}), found {controlPlaneEntries.Count}.");
        }
        var (controlPlaneName, controlPlaneMesh) = controlPlaneEntries[0];
        var configDirectory = controlPlaneMesh["configDirectory"]?.GetValue<string>();
        var controlPlane = new MeshControlPlaneTopology(
            controlPlaneName,
            Text(controlPlaneMesh, "namespace", source, controlPlaneName),
            Text(controlPlaneMesh, "trustDomain", source, controlPlaneName),
            MeshConfigFolder.Read(configDirectory, manifestDirectory));

        var sidecars = mesh.Where(e => Kind(e) == MeshManifest.SidecarKind).ToList();
        var servicePorts = sidecars
            .GroupBy(s => Text(s.Mesh, "service", source, s.Name), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Mesh["servicePort"]!.GetValue<int>(), StringComparer.Ordinal);
        var workloads = sidecars.Select(sidecar =>
        {
            var (name, entry) = sidecar;
            var appName = Text(entry, "app", source, name);
            var app = resources[appName]?.AsObject()
                ?? throw new DistributedApplicationException($"{source}: '{name}' stands beside '{appName}', which has no entry.");
            var upstreams = (entry["upstreams"]?.AsObject() ?? [])
                .Select(u => new MeshUpstream(u.Key, Protocol(u.Value!.GetValue<string>(), source, name), servicePorts[u.Key]))
                .OrderBy(u => u.Service, StringComparer.Ordinal)
                .ToList();
            var environment = (app["env"]?.AsObject() ?? [])
                .Where(pair => pair.Value is JsonValue value && value.TryGetValue<string>(out _))
                .Select(pair => KeyValuePair.Create(pair.Key, pair.Value!.GetValue<string>()));
            return new MeshWorkloadTopology(
                appName,
                ImageOf(app, appName, source),
                Text(entry, "service", source, name),
                (entry["labels"]?.AsObject() ?? []).ToDictionary(l => l.Key, l => l.Value!.GetValue<string>(), StringComparer.Ordinal),
                Protocol(Text(entry, "protocol", source, name), source, name),
                entry["servicePort"]!.GetValue<int>(),
                Text(entry["identity"]!.AsObject(), "serviceAccount", source, name),
                upstreams,
                AppEnvironment.Select(environment));
        }).OrderBy(w => w.Name, StringComparer.Ordinal).ToList();

        var gateway = mesh.Where(e => Kind(e) == MeshManifest.GatewayKind)
            .Select(e => new MeshGatewayTopology(
                e.Name,
                Text(e.Mesh["identity"]!.AsObject(), "namespace", source, e.Name),
                Text(e.Mesh["identity"]!.AsObject(), "serviceAccount", source, e.Name),
                e.Mesh["servicePort"]!.GetValue<int>()))
            .SingleOrDefault();
        return new MeshTopology(controlPlane, workloads, gateway);
    }

    private static WorkloadImage ImageOf(JsonObject app, string name, string source) => (string?)app["type"] switch
    {
        "project.v0" or "project.v1" => WorkloadImage.FromProjectPath(Text(app, "path", source, name)),
        "container.v0" or "container.v1" when app["image"] is not null => WorkloadImage.Container(Text(app, "image", source, name)),
        var type => throw new DistributedApplicationException(
            $"{source}: '{name}' is a {type}; MeshDev cannot say which image runs it on Kubernetes."),
    };

    private static MeshProtocol Protocol(string value, string source, string name) =>
        Enum.GetValues<MeshProtocol>().FirstOrDefault(p => p.ToConfigValue() == value, (MeshProtocol)(-1)) is var protocol && protocol >= 0
            ? protocol
            : throw new DistributedApplicationException($"{source}: '{name}' names the protocol '{value}', which the mesh does not know.");

    private static string Text(JsonObject entry, string property, string source, string name) =>
        entry[property]?.GetValue<string>()
            ?? throw new DistributedApplicationException($"{source}: '{name}' has no '{property}'.");
}
