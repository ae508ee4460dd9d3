using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.Core;
using MeshDev.Tests.Config;

namespace MeshDev.Tests.ControlPlane;

public sealed class ConfigApiTests
{
    private static readonly string[] BookinfoServices =
    [
        $"--{MeshEnvironment.ControlPlane.Services}:0=productpage",
        $"--{MeshEnvironment.ControlPlane.Services}:1=details",
        $"--{MeshEnvironment.ControlPlane.Services}:2=reviews",
        $"--{MeshEnvironment.ControlPlane.Services}:3=ratings",
    ];

    private static Task<ControlPlaneHost> StartAsync(params string[] args) =>
        ControlPlaneHost.StartAsync(extraArgs: [.. BookinfoServices, .. args]);

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(ControlPlaneHost host, string path, string yaml)
    {
        using var response = await host.Http.PostAsync(path, Yaml(yaml));
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    private static string Bookinfo(string file) => File.ReadAllText(ConfigTestData.BookinfoFile(file));

    [Fact]
    public async Task Apply_ThenGet_ThenApplyAgain_ThenDelete()
    {
        await using var host = await StartAsync();

        var (status, applied) = await PostAsync(host, "/api/v1/config?source=destination-rule-all.yaml", Bookinfo("destination-rule-all.yaml"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, (int)applied["configVersion"]!);
        Assert.Equal(["created"], applied["applied"]!.AsArray().Select(a => (string)a!["action"]!).Distinct());
        Assert.Equal("DestinationRule", (string?)applied["applied"]![0]!["kind"]);

        (status, applied) = await PostAsync(host, "/api/v1/config", Bookinfo("virtual-service-reviews-test-v2.yaml"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, (int)applied["configVersion"]!);

        (_, applied) = await PostAsync(host, "/api/v1/config", Bookinfo("virtual-service-reviews-test-v2.yaml"));
        Assert.Equal("unchanged", (string?)applied["applied"]![0]!["action"]);
        Assert.Equal(2, (int)applied["configVersion"]!);

        (_, applied) = await PostAsync(host, "/api/v1/config", Bookinfo("virtual-service-reviews-v3.yaml"));
        Assert.Equal("configured", (string?)applied["applied"]![0]!["action"]);
        Assert.Equal(3, (int)applied["configVersion"]!);

        var list = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config?kind=virtualservice"))!;
        Assert.Equal(3, (int)list["configVersion"]!);
        var vs = Assert.Single(list["resources"]!.AsArray())!;
        Assert.Equal(("networking.istio.io/v1alpha3", "VirtualService", "reviews", "default", "api"),
            ((string?)vs["apiVersion"], (string?)vs["kind"], (string?)vs["metadata"]!["name"], (string?)vs["metadata"]!["namespace"], (string?)vs["source"]));
        Assert.Equal("v3", (string?)vs["spec"]!["http"]![0]!["route"]![0]!["destination"]!["subset"]);

        var one = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/destinationrule/default/ratings"))!;
        Assert.Equal("destination-rule-all.yaml", (string?)one["source"]);

        using var delete = await host.Http.DeleteAsync("/api/v1/config/VirtualService/default/reviews");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var deleted = (await delete.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(("VirtualService", "default", "reviews", 4), ((string?)deleted["deleted"]!["kind"], (string?)deleted["deleted"]!["namespace"], (string?)deleted["deleted"]!["name"], (int)deleted["configVersion"]!));

        using var again = await host.Http.DeleteAsync("/api/v1/config/VirtualService/default/reviews");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var missing = await host.Http.GetAsync("/api/v1/config/VirtualService/default/reviews");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RefusedApply_NamesEveryProblem_AndLeavesTheConfigUnchanged()
    {
        await using var host = await StartAsync();
        await PostAsync(host, "/api/v1/config", Bookinfo("destination-rule-all.yaml"));

        var yaml = Bookinfo("virtual-service-reviews-v3.yaml") + "\n---\n" + Bookinfo("virtual-service-reviews-50-v3.yaml")
            .Replace("name: reviews", "name: reviews-split").Replace("weight: 50\n    - destination", "weight: 40\n    - destination");
        var (status, body) = await PostAsync(host, "/api/v1/config?source=split.yaml", yaml);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("1 problem(s) in split.yaml", (string?)body["error"]);
        var message = body["messages"]!.AsArray().Single()!;
        Assert.Equal(("split.yaml", "VirtualService", "reviews-split", "spec.http[0].route", "error"),
            ((string?)message["source"], (string?)message["kind"], (string?)message["name"], (string?)message["field"], (string?)message["severity"]));
        Assert.NotNull((int?)message["line"]);
        Assert.Contains("add up to 90", (string?)message["message"]);

        var list = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.Equal(1, (int)list["configVersion"]!);
        Assert.Equal(4, list["resources"]!.AsArray().Count); // the valid first document was not applied either
    }

    [Fact]
    public async Task Analyze_ChangesNothing_AndDeleteOfAReferencedRuleIsRefused()
    {
        await using var host = await StartAsync();
        await PostAsync(host, "/api/v1/config", Bookinfo("destination-rule-all.yaml"));
        await PostAsync(host, "/api/v1/config", Bookinfo("virtual-service-all-v1.yaml"));

        var (status, analysis) = await PostAsync(host, "/api/v1/analyze", Bookinfo("virtual-service-reviews-v3.yaml"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)analysis["valid"]!);

        (_, analysis) = await PostAsync(host, "/api/v1/analyze", Bookinfo("virtual-service-reviews-v3.yaml").Replace("subset: v3", "subset: v9"));
        Assert.False((bool)analysis["valid"]!);
        Assert.Equal("spec.http[0].route[0].destination.subset", (string?)analysis["messages"]![0]!["field"]);
        Assert.Equal(2, (int)(await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!["configVersion"]!);

        using var delete = await host.Http.DeleteAsync("/api/v1/config/destinationrule/default/reviews");
        Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        Assert.Contains("subset 'v1'", await delete.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AcceptedConfig_IsPushedAsRouteTables()
    {
        await using var host = await StartAsync();
        await using var proxy = await host.ConnectAsync(TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
            new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews"));
        var first = await proxy.NextAsync();
        Assert.Empty(first.Snapshot.RouteTables);

        await PostAsync(host, "/api/v1/config", Bookinfo("destination-rule-all.yaml"));
        await PostAsync(host, "/api/v1/config", Bookinfo("virtual-service-reviews-test-v2.yaml"));

        var routed = await proxy.WaitForAsync(s => s.RouteTables.Count == 1 && s.RouteTables[0].Routes.Count == 2);
        Assert.Equal("v2", routed.Snapshot.RouteTables[0].Routes[0].Destinations[0].Subset);
        Assert.Equal(["v1", "v2", "v3"], routed.Snapshot.Clusters.Single().Subsets.Select(s => s.Name));
    }

    /// <summary>
    /// A ConfigMap volume as the kubelet lays it out: the files are links into ..data, itself a link to a timestamped
    /// folder, and an update writes a new folder and swaps ..data in one rename, raising no event for the files.
    /// </summary>
    [Fact]
    public async Task Folder_mounted_from_a_ConfigMap_is_reloaded_when_the_kubelet_swaps_its_data_link()
    {
        var folder = Directory.CreateTempSubdirectory("meshdev-configmap-");
        try
        {
            string WriteVersion(string name, string routes)
            {
                var version = Directory.CreateDirectory(Path.Combine(folder.FullName, name)).FullName;
                File.WriteAllText(Path.Combine(version, "rules.yaml"), Bookinfo("destination-rule-all.yaml"));
                File.WriteAllText(Path.Combine(version, "reviews.yaml"), routes);
                return name;
            }

            var data = Path.Combine(folder.FullName, "..data");
            File.CreateSymbolicLink(data, WriteVersion("..2026_12_03_01", Bookinfo("virtual-service-reviews-test-v2.yaml")));
            foreach (var file in new[] { "rules.yaml", "reviews.yaml" })
            {
                File.CreateSymbolicLink(Path.Combine(folder.FullName, file), Path.Combine("..data", file));
            }

            await using var host = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={folder.FullName}");
            await using var proxy = await host.ConnectAsync(TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
                new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews"));
            var before = await proxy.WaitForAsync(s => s.RouteTables.Count == 1 && s.RouteTables[0].Routes.Count == 2);
            Assert.Equal("v2", before.Snapshot.RouteTables[0].Routes[0].Destinations[0].Subset);

            var next = WriteVersion("..2026_12_03_02", Bookinfo("virtual-service-reviews-v3.yaml"));
            var swap = Path.Combine(folder.FullName, "..data_tmp");
            File.CreateSymbolicLink(swap, next);
            // rename(2) replaces the link itself in one step, as the kubelet does; File.Move would follow it.
            Assert.True(Rename(swap, data) == 0, $"rename failed: {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            Directory.Delete(Path.Combine(folder.FullName, "..2026_12_03_01"), recursive: true);

            var after = await proxy.WaitForAsync(s => s.RouteTables.Count == 1 && s.RouteTables[0].Routes.Count == 1);
            Assert.Equal("v3", after.Snapshot.RouteTables[0].Routes[0].Destinations[0].Subset);
            Assert.Empty((await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string oldPath, string newPath);

    [Fact]
    public async Task Folder_IsLoadedAtStart_AndReloadedOnChange_KeepingOldContentWhenRefused()
    {
        var folder = Directory.CreateTempSubdirectory("meshdev-config-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "rules.yaml"), Bookinfo("destination-rule-all.yaml"));
            var routes = Path.Combine(folder.FullName, "reviews.yaml");
            File.WriteAllText(routes, Bookinfo("virtual-service-reviews-test-v2.yaml"));
            File.WriteAllText(Path.Combine(folder.FullName, "notes.txt"), "not config");

            await using var host = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={folder.FullName}");
            var list = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
            Assert.Equal(5, list["resources"]!.AsArray().Count);
            Assert.Equal(routes, (string?)list["resources"]!.AsArray().Single(r => (string?)r!["kind"] == "VirtualService")!["source"]);

            await using var proxy = await host.ConnectAsync(TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40100",
                new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "reviews"));
            var before = await proxy.WaitForAsync(s => s.RouteTables.Count == 1 && s.RouteTables[0].Routes.Count == 2);

            File.WriteAllText(routes, Bookinfo("virtual-service-reviews-v3.yaml"));
            var after = await proxy.WaitForAsync(s => s.RouteTables.Count == 1 && s.RouteTables[0].Routes.Count == 1);
            Assert.NotEqual(before.Snapshot.Version, after.Snapshot.Version);
            Assert.Equal("v3", after.Snapshot.RouteTables[0].Routes[0].Destinations[0].Subset);

            File.WriteAllText(routes, Bookinfo("virtual-service-reviews-v3.yaml").Replace("subset: v3", "subset: v7"));
            var rejected = await Eventually.ValueAsync(
                async () => (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray(), r => r.Count == 1);
            Assert.Equal(routes, (string?)rejected[0]!["source"]);
            Assert.Contains("subset 'v7'", (string?)rejected[0]!["messages"]![0]!["message"]);
            var kept = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/virtualservice/default/reviews"))!;
            Assert.Equal("v3", (string?)kept["spec"]!["http"]![0]!["route"]![0]!["destination"]!["subset"]);

            File.Delete(routes);
            await proxy.WaitForAsync(s => s.RouteTables.Count == 0);
            Assert.Empty((await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
