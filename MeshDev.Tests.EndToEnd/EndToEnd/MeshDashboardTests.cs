using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.Tests.Dashboard;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// The mesh dashboard of the real AppHost (http://localhost:15080) in headless Chromium, with Bookinfo traffic
/// through the gateway: the graph's edges come from the proxies' own Istio metrics, and the editor's applies
/// change which reviews version answers the product page.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MeshDashboardTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>, IAsyncLifetime
{
    private const string ReviewsAllToV3 = """
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
          - name: v3
            labels:
              version: v3
        ---
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
                subset: v3
        """;

    private const string WeightsNotHundred = """
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
              weight: 50
            - destination:
                host: details
              weight: 40
        """;

    private readonly Chromium _chromium = new();

    public Task InitializeAsync() => _chromium.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await RevertEditorChangesAsync();
    }

    [Fact]
    public async Task Graph_shows_bookinfos_edges_with_a_live_rate_after_traffic()
    {
        using var traffic = new CancellationTokenSource();
        var load = DriveTrafficAsync(traffic.Token);
        try
        {
            var page = await OpenAsync("");
            var gateway = page.Locator("#topology-graph g.node[data-kind='gateway']");
            await Expect(gateway).ToHaveCountAsync(1);
            var gatewayId = (await gateway.GetAttributeAsync("data-id"))!;

            (string Source, string Destination)[] expected =
            [
                (gatewayId, "productpage-v1"), ("productpage-v1", "details-v1"), ("productpage-v1", "reviews-v1"),
                ("productpage-v1", "reviews-v2"), ("productpage-v1", "reviews-v3"), ("reviews-v2", "ratings-v1"), ("reviews-v3", "ratings-v1"),
            ];
            foreach (var (source, destination) in expected)
            {
                await Expect(Edge(page, source, destination)).ToHaveCountAsync(1, new() { Timeout = 60_000 });
            }

            var entry = Edge(page, gatewayId, "productpage-v1");
            await Expect(entry).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\b(ok|warn|bad)\\b"), new() { Timeout = 20_000 });
            var rate = double.Parse((await entry.GetAttributeAsync("data-rps"))!, CultureInfo.InvariantCulture);
            Assert.True(rate > 0, $"gateway → productpage-v1 shows {rate} requests/s while pages are loading");
            await Expect(entry.Locator(".edge-rate")).ToContainTextAsync(" rps");
            await Expect(page.Locator($"#edges tr.edge-row[data-source='{gatewayId}'][data-destination='productpage-v1']")).ToHaveCountAsync(1);
            await TestArtifacts.ScreenshotAsync(page, nameof(Graph_shows_bookinfos_edges_with_a_live_rate_after_traffic), output);
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
        }
    }

    [Fact]
    public async Task Routing_yaml_applied_in_the_editor_sends_every_reviews_request_to_v3()
    {
        var page = await OpenAsync("#editor");

        await page.Locator("#yaml-editor").FillAsync(ReviewsAllToV3);
        await page.Locator("#apply-config").ClickAsync();

        var outcome = page.Locator("#editor-outcome");
        await Expect(outcome).ToHaveAttributeAsync("data-outcome", "ok");
        await Expect(outcome.Locator("li.applied")).ToHaveCountAsync(2);
        var configVersion = long.Parse((await outcome.GetAttributeAsync("data-config-version"))!, CultureInfo.InvariantCulture);
        await TestArtifacts.ScreenshotAsync(page, nameof(Routing_yaml_applied_in_the_editor_sends_every_reviews_request_to_v3), output);
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20), configVersion);

        for (var i = 0; i < 20; i++)
        {
            var served = await mesh.GetReviewedPageAsync();
            Assert.Equal("reviews-v3", served.ServedBy);
            Assert.Equal(["red"], served.StarColors);
        }
    }

    [Fact]
    public async Task Invalid_yaml_shows_its_validation_message_and_changes_nothing()
    {
        var before = await ConfigAsync();
        var proxiesBefore = await AckedVersionsAsync();
        var page = await OpenAsync("#editor");

        await page.Locator("#yaml-editor").FillAsync(WeightsNotHundred);
        await page.Locator("#apply-config").ClickAsync();

        var outcome = page.Locator("#editor-outcome");
        await Expect(outcome).ToHaveAttributeAsync("data-outcome", "bad");
        var message = outcome.Locator("tr.config-message[data-field='spec.http[0].route']");
        await Expect(message).ToHaveCountAsync(1);
        Assert.False(string.IsNullOrEmpty(await message.GetAttributeAsync("data-line")), "the message names the line");
        await Expect(message.Locator(".message-text")).ToContainTextAsync("add up to 90");
        await TestArtifacts.ScreenshotAsync(page, nameof(Invalid_yaml_shows_its_validation_message_and_changes_nothing), output);

        var after = await ConfigAsync();
        Assert.Equal(before.GetProperty("configVersion").GetInt64(), after.GetProperty("configVersion").GetInt64());
        Assert.Equal(before.GetProperty("resources").GetRawText(), after.GetProperty("resources").GetRawText());
        Assert.Equal(proxiesBefore, await AckedVersionsAsync());

        // Bookinfo still balances over every reviews version.
        var versions = new HashSet<string>();
        for (var i = 0; i < 30 && versions.Count < 3; i++)
        {
            versions.Add((await mesh.GetReviewedPageAsync()).ServedBy);
        }

        Assert.Equal(["reviews-v1", "reviews-v2", "reviews-v3"], versions.Order());
    }

    [Fact]
    public async Task The_AppHost_run_writes_its_api_token_owner_only_beside_it_and_the_dashboard_link_carries_it()
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(mesh.ApiTokenFile));
        }
        Assert.True(mesh.ApiToken.Length >= 32, $"the run's token has {mesh.ApiToken.Length} characters");
        Assert.Equal("*", File.ReadAllLines(Path.Combine(Path.GetDirectoryName(mesh.ApiTokenFile)!, ".gitignore")).Last());

        var link = mesh.DashboardLoginLink;
        Assert.Equal(BookinfoAppFixture.ControlPlane.Authority, link.Authority);
        Assert.Equal("/login", link.AbsolutePath);
        Assert.Equal($"?t={Uri.EscapeDataString(mesh.ApiToken)}", link.Query);

        // The AppHost's run is what the control plane checks against: a write without it, or from another origin, changes nothing.
        var before = (await ConfigAsync()).GetRawText();
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var withoutToken = await anonymous.PostAsync(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/config"),
            new StringContent(ReviewsAllToV3, System.Text.Encoding.UTF8, "application/yaml"));
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Post, new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/config"))
        {
            Content = new StringContent(ReviewsAllToV3, System.Text.Encoding.UTF8, "application/yaml"),
        };
        crossOrigin.Headers.Add("Origin", "http://localhost:9080");
        using var fromBookinfo = await mesh.Http.SendAsync(crossOrigin);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fromBookinfo.StatusCode);
        Assert.Equal(before, (await ConfigAsync()).GetRawText());
    }

    private static ILocator Edge(IPage page, string source, string destination) =>
        page.Locator($"#topology-graph g.edge[data-source='{source}'][data-destination='{destination}']");

    private async Task<IPage> OpenAsync(string hash)
    {
        var page = await _chromium.LoggedInPageAsync(mesh.DashboardLoginLink);
        await page.GotoAsync("/" + hash);
        return page;
    }

    /// <summary>Product pages, a few per second, until cancelled: every reviews version is reached and rates stay live.</summary>
    private async Task DriveTrafficAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await mesh.GetPageAsync();
                await Task.Delay(150, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<JsonElement> ConfigAsync() =>
        await mesh.Http.GetFromJsonAsync<JsonElement>(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/config"));

    private async Task<string> AckedVersionsAsync() => string.Join(",", (await mesh.GetProxiesAsync())
        .Select(p => $"{p.GetProperty("id").GetString()}={p.GetProperty("ackedVersion").GetString()}").Order());

    /// <summary>Deletes what the editor applied (the route before the rule whose subsets it names), so the next test starts from Bookinfo's own config.</summary>
    private async Task RevertEditorChangesAsync()
    {
        long configVersion = 0;
        foreach (var kind in new[] { "VirtualService", "DestinationRule" })
        {
            using var response = await mesh.Http.DeleteAsync(new Uri(BookinfoAppFixture.ControlPlane, $"/api/v1/config/{kind}/default/reviews"));
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                continue;
            }

            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"deleting {kind} default/reviews answered {(int)response.StatusCode}: {body}");
            configVersion = JsonDocument.Parse(body).RootElement.GetProperty("configVersion").GetInt64();
        }

        if (configVersion > 0)
        {
            await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20), configVersion);
        }
    }
}
