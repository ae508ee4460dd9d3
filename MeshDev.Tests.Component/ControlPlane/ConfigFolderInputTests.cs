using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MeshDev.Core;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// What lands in the watched folder that is not (yet) good config: a file caught half saved, a file renamed away, a
/// binary file, a link out of the folder. Each bad file is refused by name; the rest of the config stays in force.
/// </summary>
public sealed class ConfigFolderInputTests : IAsyncLifetime
{
    private const string RatingsRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: ratings
        spec:
          host: ratings
          subsets:
          - name: v1
            labels:
              version: v1
        """;

    private const string ReviewsRoute = """
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

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("meshdev-config-folder-");
    private ControlPlaneHost _host = null!;

    private string Folder => Path.Combine(_root.FullName, "mesh");

    private string Outside => Path.Combine(_root.FullName, "elsewhere.yaml");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "ratings.yaml"), RatingsRule);
        File.WriteAllText(Path.Combine(Folder, "reviews.yaml"), ReviewsRoute);
        File.WriteAllText(Outside, ReviewsRoute.Replace("name: reviews", "name: elsewhere"));
        File.CreateSymbolicLink(Path.Combine(Folder, "linked-at-start.yaml"), Outside);
        _host = await ControlPlaneHost.StartAsync(extraArgs:
        [
            $"--{MeshEnvironment.ControlPlane.Services}:0=reviews",
            $"--{MeshEnvironment.ControlPlane.Services}:1=ratings",
            $"--{MeshEnvironment.ControlPlane.ConfigDirectory}={Folder}",
        ]);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _root.Delete(recursive: true);
    }

    [Fact]
    public async Task A_file_caught_half_saved_is_refused_and_its_previous_content_stays_until_the_save_completes()
    {
        var before = await ResourcesAsync();
        var file = Path.Combine(Folder, "reviews.yaml");
        var saved = ReviewsRoute.Replace("3s", "5s");

        File.WriteAllText(file, saved[..(saved.IndexOf("http:", StringComparison.Ordinal) + 12)]);
        var rejected = await RejectedAsync(file);

        Assert.NotEmpty(rejected["messages"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(before, await ResourcesAsync()), "the half-saved file changed the running config");

        File.WriteAllText(file, saved);
        var after = await Eventually.ValueAsync(ResourcesAsync, r => Timeout(r) == "5s");
        Assert.Equal(["DestinationRule", "VirtualService"], after.Select(r => (string)r!["kind"]!).Order());
        await Eventually.ValueAsync(RejectedListAsync, list => list.All(r => (string?)r!["source"] != file));
    }

    [Fact]
    public async Task A_file_renamed_away_takes_its_resources_with_it_and_the_rest_stay()
    {
        File.Move(Path.Combine(Folder, "reviews.yaml"), Path.Combine(Folder, "reviews.yaml.bak"));

        var after = await Eventually.ValueAsync(ResourcesAsync, r => r.All(x => (string?)x!["kind"] != "VirtualService"));

        Assert.Equal(["DestinationRule ratings"], after.Select(r => $"{r!["kind"]} {r["metadata"]!["name"]}"));
    }

    [Fact]
    public async Task A_binary_file_is_refused_by_name_and_the_rest_stay()
    {
        var before = await ResourcesAsync();
        var file = Path.Combine(Folder, "image.yaml");

        File.WriteAllBytes(file, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xD8]);
        var rejected = await RejectedAsync(file);

        var message = (string?)rejected["messages"]![0]!["message"];
        Assert.Contains("not UTF-8 text: byte 0x89 at offset 0", message);
        Assert.True(JsonNode.DeepEquals(before, await ResourcesAsync()), "the binary file changed the running config");
    }

    [Fact]
    public async Task A_link_out_of_the_folder_is_not_followed_at_start_or_later()
    {
        var atStart = (await RejectedAsync(Path.Combine(Folder, "linked-at-start.yaml")))["messages"]![0]!;
        Assert.Contains("outside the config folder", (string?)atStart["message"]);

        var later = Path.Combine(Folder, "linked-later.yaml");
        File.CreateSymbolicLink(later, Outside);
        var rejected = await RejectedAsync(later);

        Assert.Contains($"is a link to '{Outside}', outside the config folder", (string?)rejected["messages"]![0]!["message"]);
        Assert.DoesNotContain(await ResourcesAsync(), r => (string?)r!["metadata"]!["name"] == "elsewhere");
        Assert.Equal(2, (await ResourcesAsync()).Count);
    }

    private static string? Timeout(JsonArray resources) =>
        (string?)resources.SingleOrDefault(r => (string?)r!["kind"] == "VirtualService")?["spec"]?["http"]?[0]?["timeout"];

    private async Task<JsonArray> ResourcesAsync() =>
        (await _host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!["resources"]!.AsArray();

    private async Task<JsonArray> RejectedListAsync() =>
        (await _host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["rejected"]!.AsArray();

    private async Task<JsonObject> RejectedAsync(string file) =>
        (JsonObject)(await Eventually.ValueAsync(RejectedListAsync, list => list.Any(r => (string?)r!["source"] == file)))
            .Single(r => (string?)r!["source"] == file)!;
}
