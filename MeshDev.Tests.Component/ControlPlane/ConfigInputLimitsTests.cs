using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.ControlPlane.Api;
using MeshDev.Core;
using MeshDev.Core.Config;
using Xunit.Abstractions;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// Input to POST /api/v1/config that is not config, or config past a limit: each is refused with a JSON error that
/// names what is wrong and where, and the running config stays exactly as it was.
/// </summary>
public sealed class ConfigInputLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ratings = """
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

    private ControlPlaneHost _host = null!;
    private JsonObject _before = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlPlaneHost.StartAsync(extraArgs:
            [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews", $"--{MeshEnvironment.ControlPlane.Services}:1=ratings"]);
        using var applied = await _host.Http.PostAsync("/api/v1/config", Yaml(Ratings));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        _before = await ConfigAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_naming_the_limit()
    {
        var oversized = Ratings + "\n#" + new string('x', ConfigRequestBody.MaxBytes);

        var (status, error) = await PostAsync(Yaml(oversized));
        // Without a Content-Length the limit is enforced while reading.
        var (chunkedStatus, chunkedError) = await PostAsync(new ChunkedContent(Encoding.UTF8.GetBytes(oversized)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"{ConfigRequestBody.MaxBytes} bytes", (string?)error["error"]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedStatus);
        Assert.Contains($"{ConfigRequestBody.MaxBytes} bytes", (string?)chunkedError["error"]);
        await AssertConfigUnchangedAsync();
    }

    [Fact]
    public async Task A_billion_laughs_document_is_refused_at_once_without_expanding_it()
    {
        var bomb = new StringBuilder("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: lol}\nspec:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 9; i++)
        {
            bomb.Append($"  a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var (status, error) = await PostAsync(Yaml(bomb.ToString()));
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        output.WriteLine($"Refusing the billion laughs allocated {allocated / 1024} KB");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = error["messages"]![0]!;
        Assert.Contains($"more than {YamlShape.MaxNodes:N0} nodes", (string?)message["message"]);
        Assert.NotNull(message["line"]);
        // 10^9 nodes expanded would take gigabytes; the check counts them instead (this process's tests share the figure).
        Assert.True(allocated < 256L * 1024 * 1024, $"refusing the document allocated {allocated / (1024 * 1024)} MB");
        await AssertConfigUnchangedAsync();
    }

    [Fact]
    public async Task Nesting_deeper_than_any_resource_is_refused_with_its_line_and_column()
    {
        const int depth = 100_000;
        var deep = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: deep}\nspec:\n  hosts: " + new string('[', depth) + new string(']', depth) + "\n";

        var (status, error) = await PostAsync(Yaml(deep));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = error["messages"]![0]!;
        Assert.Contains($"more than {YamlShape.MaxDepth} levels", (string?)message["message"]);
        Assert.Equal(5, (int?)message["line"]);
        await AssertConfigUnchangedAsync();
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_are_refused_with_their_position()
    {
        var bytes = Encoding.UTF8.GetBytes(Ratings.Replace("host: ratings", "host: rat\u0001ings")).ToArray();
        var at = Array.IndexOf(bytes, (byte)1);
        bytes[at] = 0xFF;
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");

        var (status, error) = await PostAsync(content);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = error["messages"]![0]!;
        Assert.Equal((6, 12), ((int?)message["line"], (int?)message["column"]));
        Assert.Contains($"byte 0xFF at offset {at}", (string?)message["message"]);
        await AssertConfigUnchangedAsync();
    }

    [Fact]
    public async Task A_content_type_that_is_not_config_is_refused_with_415_naming_the_accepted_ones()
    {
        var form = new StringContent(Ratings.Replace("v1", "v9"), Encoding.UTF8, "application/x-www-form-urlencoded");

        var (status, error) = await PostAsync(form);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/x-www-form-urlencoded", (string?)error["error"]);
        Assert.Contains("application/yaml", (string?)error["error"]);
        await AssertConfigUnchangedAsync();
    }

    [Theory]
    [InlineData("weight: 1e30", "spec.http[0].route[0].weight")]
    [InlineData("weight: 99999999999", "spec.http[0].route[0].weight")]
    [InlineData("port: {number: 99999}", "spec.http[0].route[0].destination.port.number")]
    [InlineData("timeout: 99999999999h", "spec.http[0].timeout")]
    public async Task A_number_out_of_range_is_refused_naming_the_field(string field, string path)
    {
        var at = path.Contains("destination") ? "      " : path.EndsWith("weight") ? "    " : "  ";
        var route = path.EndsWith("timeout") ? $"- {field}\n    route:\n    - destination:\n        host: reviews\n"
            : path.Contains("destination") ? $"- route:\n    - destination:\n        host: reviews\n{at}  {field}\n"
            : $"- route:\n    - destination:\n        host: reviews\n{at}  {field}\n";
        var yaml = $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n  http:\n  {route}";

        var (status, error) = await PostAsync(Yaml(yaml));

        Assert.True(status == HttpStatusCode.BadRequest, $"{status}: {error}\n{yaml}");
        Assert.Contains(error["messages"]!.AsArray(), m => (string?)m!["field"] == path && (string?)m["severity"] == "error");
        await AssertConfigUnchangedAsync();
    }

    [Fact]
    public async Task Ten_thousand_resources_in_one_apply_are_refused_naming_the_limit_and_a_thousand_are_taken()
    {
        static string Policies(int count) => string.Join("---\n", Enumerable.Range(0, count).Select(i =>
            $"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p{i}}}\nspec:\n  selector: {{matchLabels: {{app: reviews}}}}\n  rules:\n  - to: [{{operation: {{methods: [GET]}}}}]\n"));

        var refusing = Stopwatch.StartNew();
        var (status, error) = await PostAsync(Yaml(Policies(10_000)));
        output.WriteLine($"Refusing an apply of 10000 AuthorizationPolicies took {refusing.ElapsedMilliseconds} ms");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = error["messages"]![0]!;
        Assert.Contains($"the limit is {YamlShape.MaxDocuments} resources per apply", (string?)message["message"]);
        // Located at the "---" that starts the first document beyond the limit: eight lines each.
        Assert.Equal(YamlShape.MaxDocuments * 8, (int?)message["line"]);
        await AssertConfigUnchangedAsync();

        var watch = Stopwatch.StartNew();
        var (taken, _) = await PostAsync(Yaml(Policies(YamlShape.MaxDocuments)));
        output.WriteLine($"An apply of {YamlShape.MaxDocuments} AuthorizationPolicies took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.OK, taken);
        Assert.Equal(YamlShape.MaxDocuments + 1, (await ConfigAsync())["resources"]!.AsArray().Count);
    }

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpContent content)
    {
        using (content)
        using (var response = await _host.Http.PostAsync("/api/v1/config", content))
        {
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
        }
    }

    private async Task<JsonObject> ConfigAsync() => (await _host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;

    private async Task AssertConfigUnchangedAsync()
    {
        var after = await ConfigAsync();
        Assert.True(JsonNode.DeepEquals(_before, after), $"the running config changed: {after}");
    }

    /// <summary>A body sent without a Content-Length (chunked), as a streaming client sends it.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
