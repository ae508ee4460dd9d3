using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MeshDev.Cli;
using MeshDev.Tests.ControlPlane;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Tests.Cli;

/// <summary>apply, get, delete and analyze against a real control plane's config API.</summary>
public sealed class ConfigCommandTests : IDisposable
{
    private const string ReviewsVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
        """;

    private const string ReviewsDestinationRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
        """;

    // Line 13, column 15 holds the weight that is not a number.
    private const string RatingsWithBadWeight = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: ratings
          namespace: default
        spec:
          hosts:
          - ratings
          http:
          - route:
            - destination:
                host: ratings
              weight: fifty
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("meshctl-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Apply_a_folder_prints_what_changed_like_kubectl_and_get_shows_it()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "networking")).FullName;
        var destinationRule = Write("networking/reviews-dr.yaml", ReviewsDestinationRule);
        var virtualService = Write("networking/reviews-vs.yml", ReviewsVirtualService);
        Write("networking/README.md", "not config");

        var applied = await meshctl.RunAsync("apply", "-f", folder);
        var again = await meshctl.RunAsync("apply", "-f", virtualService);

        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal(["destinationrule.networking.istio.io/reviews created", "virtualservice.networking.istio.io/reviews created"], applied.OutLines);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(["virtualservice.networking.istio.io/reviews unchanged"], again.OutLines);

        var virtualServices = await meshctl.RunAsync("get", "vs");
        Assert.True(virtualServices.ExitCode == 0, virtualServices.ToString());
        Assert.Equal(["NAME", "NAMESPACE", "HOSTS", "GATEWAYS", "SOURCE"], MeshctlTable.Columns(virtualServices.OutLines[0]));
        Assert.Equal(["reviews", "default", "reviews", "-", virtualService], MeshctlTable.Columns(virtualServices.OutLines[1]));

        var destinationRules = await meshctl.RunAsync("get", "destinationrules");
        Assert.Equal(["NAME", "NAMESPACE", "HOST", "SUBSETS", "SOURCE"], MeshctlTable.Columns(destinationRules.OutLines[0]));
        Assert.Equal(["reviews", "default", "reviews", "v1,v2", destinationRule], MeshctlTable.Columns(destinationRules.OutLines[1]));

        var all = await meshctl.RunAsync("get", "all");
        Assert.Contains(all.OutLines, l => l.StartsWith("virtualservice.networking.istio.io/reviews "));
        Assert.Contains(all.OutLines, l => l.StartsWith("destinationrule.networking.istio.io/reviews "));
    }

    [Fact]
    public async Task Get_one_as_yaml_is_istio_yaml_and_as_json_carries_the_source()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);
        var file = Write("reviews.yaml", ReviewsVirtualService);
        Assert.Equal(0, (await meshctl.RunAsync("apply", "-f", file)).ExitCode);

        var yaml = await meshctl.RunAsync("get", "virtualservice", "reviews", "-o", "yaml");
        var json = await meshctl.RunAsync("get", "vs", "reviews", "-n", "default", "-o", "json");

        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml.Out));
        var resource = (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
        Assert.Equal("networking.istio.io/v1", resource["apiVersion"].ToString());
        Assert.Equal("VirtualService", resource["kind"].ToString());
        Assert.Equal("reviews", resource["metadata"]["name"].ToString());
        Assert.Equal("reviews", ((YamlSequenceNode)resource["spec"]["hosts"]).Children.Single().ToString());
        Assert.False(resource.Children.ContainsKey("source"));

        Assert.True(json.ExitCode == 0, json.ToString());
        var parsed = JsonNode.Parse(json.Out)!;
        Assert.Equal(file, (string?)parsed["source"]);
        Assert.Equal("reviews", (string?)parsed["spec"]!["http"]![0]!["route"]![0]!["destination"]!["host"]);
    }

    [Fact]
    public async Task A_refused_file_names_file_line_column_resource_and_field_and_changes_nothing()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);
        // A valid document beside the bad one: all or nothing, so it must not be applied either.
        var file = Write("bad.yaml", ReviewsDestinationRule + "\n---\n" + RatingsWithBadWeight);

        var result = await meshctl.RunAsync("apply", "-f", file);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("", result.Out);
        var expected = new Regex(@"^" + Regex.Escape(file) + @":\d+:\d+: VirtualService default/ratings: spec\.http\[0\]\.route\[0\]\.weight: .+");
        Assert.Contains(result.ErrorLines, l => expected.IsMatch(l));
        Assert.StartsWith("meshctl: ", result.ErrorLines[^1]);

        var ratings = await meshctl.RunAsync("get", "vs", "ratings");
        Assert.Equal(ExitCodes.Failed, ratings.ExitCode);
        Assert.Equal("meshctl: virtualservice.networking.istio.io/ratings not found in namespace default", ratings.ErrorLines.Single());
        var destinationRules = await meshctl.RunAsync("get", "dr");
        Assert.Equal("", destinationRules.Out);
        Assert.Equal("No resources found.", destinationRules.ErrorLines.Single());
    }

    [Fact]
    public async Task Apply_from_stdin_is_reported_under_the_source_stdin()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);

        var result = await meshctl.RunWithInputAsync(ReviewsVirtualService, "apply", "-f", "-");
        var listed = await meshctl.RunAsync("get", "vs", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["virtualservice.networking.istio.io/reviews created"], result.OutLines);
        Assert.Equal("stdin", (string?)JsonNode.Parse(listed.Out)!.AsArray().Single()!["source"]);
    }

    [Fact]
    public async Task Delete_by_file_and_by_name_and_a_missing_resource_fails()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);
        var both = Write("both.yaml", ReviewsDestinationRule + "\n---\n" + ReviewsVirtualService.Replace("name: reviews", "name: reviews-split"));
        var single = Write("reviews.yaml", ReviewsVirtualService);
        Assert.Equal(0, (await meshctl.RunAsync("apply", "-f", both, "-f", single)).ExitCode);

        var byFile = await meshctl.RunAsync("delete", "-f", both);
        var byName = await meshctl.RunAsync("delete", "vs", "reviews", "-n", "default");
        var missing = await meshctl.RunAsync("delete", "gateway", "nothing-here");
        var left = await meshctl.RunAsync("get", "all");

        Assert.True(byFile.ExitCode == 0, byFile.ToString());
        Assert.Equal(["destinationrule.networking.istio.io/reviews deleted", "virtualservice.networking.istio.io/reviews-split deleted"], byFile.OutLines);
        Assert.True(byName.ExitCode == 0, byName.ToString());
        Assert.Equal(["virtualservice.networking.istio.io/reviews deleted"], byName.OutLines);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.StartsWith("meshctl: gateway.networking.istio.io/nothing-here in namespace default not found", missing.ErrorLines.Single());
        Assert.Equal("No resources found.", left.ErrorLines.Single());
    }

    [Fact]
    public async Task Analyze_reports_problems_without_applying_and_exits_1_only_on_errors()
    {
        await using var mesh = await MeshWithReviews.StartAsync();
        var meshctl = new Meshctl(mesh.ControlPlane);
        var good = Write("good.yaml", ReviewsVirtualService);
        var bad = Write("bad.yaml", RatingsWithBadWeight);

        var valid = await meshctl.RunAsync("analyze", "-f", good);
        var invalid = await meshctl.RunAsync("analyze", "-f", bad);
        var left = await meshctl.RunAsync("get", "vs");

        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Equal($"✔ No validation issues found when analyzing {good}.", valid.OutLines.Single());
        Assert.Equal(ExitCodes.Failed, invalid.ExitCode);
        Assert.Contains(invalid.OutLines, l => l.Contains("VirtualService default/ratings: spec.http[0].route[0].weight: "));
        Assert.Equal("No resources found.", left.ErrorLines.Single());
    }

    /// <summary>A control plane with a reviews workload registered: config may only name services the mesh knows.</summary>
    private sealed class MeshWithReviews : IAsyncDisposable
    {
        private MeshWithReviews(ControlPlaneHost controlPlane, TestProxy reviews) => (ControlPlane, Reviews) = (controlPlane, reviews);

        public ControlPlaneHost ControlPlane { get; }

        private TestProxy Reviews { get; }

        public static async Task<MeshWithReviews> StartAsync()
        {
            var controlPlane = await ControlPlaneHost.StartAsync();
            var reviews = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40401",
                new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" }));
            await reviews.NextAsync();
            return new MeshWithReviews(controlPlane, reviews);
        }

        public async ValueTask DisposeAsync()
        {
            await Reviews.DisposeAsync();
            await ControlPlane.DisposeAsync();
        }
    }

    private string Write(string relativePath, string content)
    {
        var path = Path.Combine(_folder, relativePath);
        File.WriteAllText(path, content);
        return path;
    }
}
