using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.ControlPlane.Config;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Cli;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// Config applied through the API is kept in the control plane's data folder: written before the apply answers,
/// read back at start before any proxy is served, refused file by file when damaged, exported as Istio YAML.
/// </summary>
public sealed class AppliedConfigTests : IDisposable
{
    private const string ReviewsTimeout = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - timeout: 3s
            route:
            - destination:
                host: reviews
        """;

    private const string ReviewsGetOnly = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: reviews-get-only
        spec:
          selector:
            matchLabels:
              app: reviews
          rules:
          - to:
            - operation:
                methods: [GET]
        """;

    private const string RatingsDestinationRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: ratings
          namespace: default
          labels:
            team: bookinfo
        spec:
          host: ratings
          subsets:
          - name: v1
            labels:
              version: v1
        """;

    private static readonly string[] Services =
    [
        $"--{MeshEnvironment.ControlPlane.Services}:0=productpage",
        $"--{MeshEnvironment.ControlPlane.Services}:1=reviews",
        $"--{MeshEnvironment.ControlPlane.Services}:2=ratings",
    ];

    private static readonly ProxyHello ProductPage = TestProxy.Sidecar("productpage-v1", "productpage", "127.0.0.1:40100", null, "reviews");
    private static readonly ProxyHello Reviews = TestProxy.Sidecar("reviews-v1", "reviews", "127.0.0.1:40101");

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("meshdev-applied-config-");

    private string DataDirectory => Path.Combine(_root.FullName, "data");

    private string ConfigFolder => Path.Combine(DataDirectory, AppliedConfigFolder.FolderName);

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Applied_rules_survive_a_SIGKILL_and_no_snapshot_after_the_restart_lacks_them()
    {
        var (httpPort, grpcPort) = ControlPlaneProcess.FreePorts();
        await using (var first = ControlPlaneProcess.Start(DataDirectory, httpPort, grpcPort, Services))
        {
            await first.WaitUntilServingAsync();
            await ApplyAsync(first.Http, ReviewsTimeout);
            await ApplyAsync(first.Http, ReviewsGetOnly);
            // No graceful stop: whatever the apply did not make durable before answering is lost here.
            await first.KillAsync();
        }

        await using var second = ControlPlaneProcess.Start(DataDirectory, httpPort, grpcPort, Services);
        // The proxies dial while the process starts, as reconnecting proxies do, so they get its very first snapshots.
        var connecting = new[] { ConnectAsSoonAsServingAsync(second.Grpc, ProductPage), ConnectAsSoonAsServingAsync(second.Grpc, Reviews) };
        await using var productpage = await connecting[0];
        await using var reviews = await connecting[1];

        var productpageSnapshots = await DrainAsync(productpage);
        var reviewsSnapshots = await DrainAsync(reviews);

        Assert.NotEmpty(productpageSnapshots);
        Assert.NotEmpty(reviewsSnapshots);
        Assert.All(productpageSnapshots, s => Assert.Equal(3000, s.RouteTables.Single(t => t.Name == "reviews").Routes.Single().TimeoutMs));
        Assert.All(reviewsSnapshots, s => Assert.Contains(s.InboundSecurity.AuthorizationPolicies, p => p.Name == "reviews-get-only"));

        var config = (await second.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.Equal(
            [("VirtualService", "api", Path.Combine(ConfigFolder, "VirtualService_default_reviews.yaml")),
             ("AuthorizationPolicy", "api", Path.Combine(ConfigFolder, "AuthorizationPolicy_default_reviews-get-only.yaml"))],
            config["resources"]!.AsArray().Select(r => ((string)r!["kind"]!, (string)r["origin"]!, (string)r["file"]!)).OrderByDescending(r => r.Item1));
    }

    [Fact]
    public async Task Every_apply_leaves_one_file_per_resource_and_no_temporary_file()
    {
        await using var host = await StartAsync();

        await ApplyAsync(host.Http, ReviewsTimeout + "\n---\n" + ReviewsGetOnly);
        await ApplyAsync(host.Http, RatingsDestinationRule);
        await ApplyAsync(host.Http, ReviewsTimeout.Replace("3s", "5s"));

        Assert.Equal(
            ["AuthorizationPolicy_default_reviews-get-only.yaml", "DestinationRule_default_ratings.yaml", "VirtualService_default_reviews.yaml"],
            Directory.EnumerateFileSystemEntries(ConfigFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var kept = File.ReadAllText(Path.Combine(ConfigFolder, "VirtualService_default_reviews.yaml"));
        Assert.Contains("timeout: 5s", kept);
        Assert.DoesNotContain("3s", kept);

        var resource = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/virtualservice/default/reviews"))!;
        Assert.Equal(("api", "api", Path.Combine(ConfigFolder, "VirtualService_default_reviews.yaml")),
            ((string?)resource["source"], (string?)resource["origin"], (string?)resource["file"]));
    }

    [Fact]
    public async Task A_damaged_kept_file_is_refused_by_name_and_the_others_are_kept()
    {
        await using (var host = await StartAsync())
        {
            await ApplyAsync(host.Http, ReviewsTimeout + "\n---\n" + ReviewsGetOnly + "\n---\n" + RatingsDestinationRule);
        }

        var damaged = Path.Combine(ConfigFolder, "VirtualService_default_reviews.yaml");
        var text = File.ReadAllText(damaged);
        File.WriteAllText(damaged, text[..text.IndexOf("http:", StringComparison.Ordinal)] + "http: [{route: [");
        var misnamed = Path.Combine(ConfigFolder, "DestinationRule_default_other.yaml");
        File.Copy(Path.Combine(ConfigFolder, "DestinationRule_default_ratings.yaml"), misnamed);
        var leftover = Path.Combine(ConfigFolder, ".VirtualService_default_reviews.yaml.0123.tmp");
        File.WriteAllText(leftover, "half of a fi");

        await using var restarted = await StartAsync();

        var config = (await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.Equal(["AuthorizationPolicy default/reviews-get-only", "DestinationRule default/ratings"],
            config["resources"]!.AsArray().Select(r => $"{r!["kind"]} {r["metadata"]!["namespace"]}/{r["metadata"]!["name"]}").Order(StringComparer.Ordinal));
        var rejected = (await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray();
        Assert.Equal([misnamed, damaged], rejected.Select(r => (string)r!["source"]!).Order(StringComparer.Ordinal));
        var yamlError = rejected.Single(r => (string?)r!["source"] == damaged)!["messages"]![0]!;
        Assert.Contains("not valid YAML", (string?)yamlError["message"]);
        Assert.NotNull(yamlError["line"]);
        Assert.Contains("holds DestinationRule default/ratings", (string?)rejected.Single(r => (string?)r!["source"] == misnamed)!["messages"]![0]!["message"]);
        // The damaged file stays for its owner to look at; the interrupted write's leftover is gone.
        Assert.True(File.Exists(damaged));
        Assert.False(File.Exists(leftover));

        // Applying the resource again mends its file.
        await ApplyAsync(restarted.Http, ReviewsTimeout);
        Assert.DoesNotContain((await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray(),
            r => (string?)r!["source"] == damaged);
    }

    [Fact]
    public async Task A_delete_removes_the_file_before_answering_and_stays_deleted_after_a_restart()
    {
        await using (var host = await StartAsync())
        {
            await ApplyAsync(host.Http, ReviewsTimeout + "\n---\n" + ReviewsGetOnly);
            using var deleted = await host.Http.DeleteAsync("/api/v1/config/authorizationpolicy/default/reviews-get-only");
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            Assert.Equal(["VirtualService_default_reviews.yaml"], Directory.EnumerateFileSystemEntries(ConfigFolder).Select(Path.GetFileName));
        }

        await using var restarted = await StartAsync();
        var config = (await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.Equal(["VirtualService"], config["resources"]!.AsArray().Select(r => (string)r!["kind"]!));
    }

    [Fact]
    public async Task An_apply_that_cannot_be_written_is_refused_and_the_config_stays_as_it_was()
    {
        await using var host = await StartAsync();
        await ApplyAsync(host.Http, RatingsDestinationRule);
        var before = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;

        // A file where the folder was: every write into it fails, whoever runs the test (root ignores permissions).
        Directory.Delete(ConfigFolder, recursive: true);
        File.WriteAllText(ConfigFolder, "");
        using var response = await host.Http.PostAsync("/api/v1/config", Yaml(ReviewsTimeout + "\n---\n" + ReviewsGetOnly));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["error"];
        Assert.Contains(ConfigFolder, error);
        Assert.Contains("The running config is unchanged", error);
        var after = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.True(JsonNode.DeepEquals(before, after), $"the config changed: {after}");
    }

    [Fact]
    public async Task Export_of_the_applied_config_round_trips_through_the_watched_folder()
    {
        var watched = Directory.CreateDirectory(Path.Combine(_root.FullName, "watched")).FullName;
        File.WriteAllText(Path.Combine(watched, "ratings.yaml"), RatingsDestinationRule);
        JsonArray appliedBefore;
        string exported;
        await using (var host = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={watched}"))
        {
            await ApplyAsync(host.Http, ReviewsTimeout + "\n---\n" + ReviewsGetOnly);
            var meshctl = new Meshctl(host);
            var export = await meshctl.RunAsync("get", "all", "--applied", "-o", "yaml");
            Assert.True(export.ExitCode == 0, export.ToString());
            exported = export.Out;
            appliedBefore = Applied((await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!);
        }

        Assert.DoesNotContain("ratings", exported);
        Assert.DoesNotContain("origin", exported);
        File.WriteAllText(Path.Combine(watched, "applied.yaml"), exported);
        Directory.Delete(DataDirectory, recursive: true);

        await using var fresh = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={watched}");
        var config = (await fresh.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        Assert.Empty((await fresh.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray());
        Assert.All(config["resources"]!.AsArray(), r => Assert.Equal("folder", (string?)r!["origin"]));
        var fromFile = config["resources"]!.AsArray().Where(r => (string?)r!["file"] == Path.Combine(watched, "applied.yaml")).ToList();
        Assert.Equal(appliedBefore.Count, fromFile.Count);
        foreach (var before in appliedBefore)
        {
            var after = fromFile.Single(r => (string?)r!["kind"] == (string?)before!["kind"]);
            Assert.True(JsonNode.DeepEquals(before!["spec"], after!["spec"]), $"{before["kind"]} spec changed: {after["spec"]}");
            Assert.True(JsonNode.DeepEquals(before["metadata"], after["metadata"]), $"{before["kind"]} metadata changed: {after["metadata"]}");
            Assert.Equal((string?)before["apiVersion"], (string?)after["apiVersion"]);
        }
    }

    [Fact]
    public async Task An_apply_over_a_folder_resource_keeps_its_place_after_a_restart()
    {
        var watched = Directory.CreateDirectory(Path.Combine(_root.FullName, "watched")).FullName;
        File.WriteAllText(Path.Combine(watched, "reviews.yaml"), ReviewsTimeout + "\n---\n" + RatingsDestinationRule);
        await using (var host = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={watched}"))
        {
            await ApplyAsync(host.Http, ReviewsTimeout.Replace("3s", "7s"));
        }

        await using var restarted = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={watched}");
        var resources = (await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!["resources"]!.AsArray();
        var reviews = resources.Single(r => (string?)r!["kind"] == "VirtualService")!;
        Assert.Equal(("api", "7s"), ((string?)reviews["origin"], (string?)reviews["spec"]!["http"]![0]!["timeout"]));
        Assert.Equal("folder", (string?)resources.Single(r => (string?)r!["kind"] == "DestinationRule")!["origin"]);
        Assert.Empty((await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray());
    }

    [Fact]
    public async Task An_export_saved_into_the_watched_folder_takes_the_resources_over_and_their_kept_files_go()
    {
        var watched = Directory.CreateDirectory(Path.Combine(_root.FullName, "watched")).FullName;
        await using var host = await StartAsync($"--{MeshEnvironment.ControlPlane.ConfigDirectory}={watched}");
        await ApplyAsync(host.Http, ReviewsTimeout + "\n---\n" + ReviewsGetOnly);
        var export = await new Meshctl(host).RunAsync("get", "all", "--applied", "-o", "yaml");
        Assert.True(export.ExitCode == 0, export.ToString());

        var file = Path.Combine(watched, "applied.yaml");
        File.WriteAllText(file, export.Out);

        var config = await Eventually.ValueAsync(() => host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"),
            c => c!["resources"]!.AsArray().All(r => (string?)r!["origin"] == "folder"));
        Assert.Equal([file, file], config!["resources"]!.AsArray().Select(r => (string?)r!["file"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(ConfigFolder));
        Assert.Empty((await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray());
    }

    private Task<ControlPlaneHost> StartAsync(params string[] args) =>
        ControlPlaneHost.StartAsync(extraArgs: [.. Services, $"--{MeshEnvironment.ControlPlane.DataDirectory}={DataDirectory}", .. args]);

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private static async Task ApplyAsync(HttpClient http, string yaml)
    {
        using var response = await http.PostAsync("/api/v1/config", Yaml(yaml));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static JsonArray Applied(JsonObject config) =>
        new(config["resources"]!.AsArray().Where(r => (string?)r!["origin"] == "api").Select(r => r!.DeepClone()).ToArray());

    private static async Task<TestProxy> ConnectAsSoonAsServingAsync(GrpcChannel channel, ProxyHello hello) =>
        (await Eventually.ValueAsync(async () =>
        {
            try
            {
                return await TestProxy.ConnectAsync(channel, hello);
            }
            catch (RpcException)
            {
                return null;
            }
        }, proxy => proxy is not null, TimeSpan.FromSeconds(30)))!;

    /// <summary>Every snapshot the proxy has received, and any that follow until the stream is quiet.</summary>
    private static async Task<List<ProxySnapshot>> DrainAsync(TestProxy proxy)
    {
        var snapshots = new List<ProxySnapshot> { (await proxy.NextAsync()).Snapshot };
        while (!await proxy.StaysQuietAsync(TimeSpan.FromSeconds(1)))
        {
            snapshots.Add((await proxy.NextAsync()).Snapshot);
        }

        Assert.Equal(proxy.ReceivedCount, snapshots.Count);
        return snapshots;
    }
}
