using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.EndToEnd;
using MeshDev.Tests.Proxy;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace MeshDev.Tests.Dashboard;

/// <summary>
/// The mesh dashboard in headless Chromium, served by a real control plane with real proxy processes connected:
/// what each page shows is checked against the API, and the editor's applies against the running config.
/// </summary>
// Real proxy processes beside a browser: run with the other heavy classes, one at a time, not to starve them.
[Collection(AppHostCollection.Name)]
public sealed class DashboardPagesTests(DashboardMesh mesh, ITestOutputHelper output) : IClassFixture<DashboardMesh>
{
    private const string ReviewsToV2 = """
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
                subset: v2
        """;

    private const string WeightsNotHundred = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews-split
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

    private Task<IPage> OpenAsync(string hash = "") => OpenAtAsync(hash);

    private async Task<IPage> OpenAtAsync(string hash)
    {
        var page = await mesh.Chromium.LoggedInPageAsync(mesh.ControlPlane.DashboardLoginLink);
        await page.GotoAsync("/" + hash);
        return page;
    }

    [Fact]
    public async Task The_dashboard_opened_without_logging_in_says_how_to_log_in_and_the_login_link_opens_it()
    {
        var page = await mesh.Chromium.NewPageAsync(mesh.ControlPlane.HttpAddress);
        await page.GotoAsync("/#services");
        await Expect(page.Locator("#login-needed")).ToContainTextAsync("Aspire dashboard");
        await Expect(page.Locator("#login-needed")).ToContainTextAsync("meshctl dashboard");
        await TestArtifacts.ScreenshotAsync(page, "dashboard-login-needed", output);

        await page.GotoAsync(mesh.ControlPlane.DashboardLoginLink.ToString());
        // The login page moves on by script; the dashboard's own load event is no part of this check (its live
        // requests can hold it back on a busy machine), the tabs it shows are.
        await page.WaitForURLAsync(new Uri(mesh.ControlPlane.HttpAddress, "/").ToString(), new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.Locator("#tabs")).ToBeVisibleAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == MeshDev.ControlPlane.Api.Access.ApiToken.SessionCookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.False(await page.EvaluateAsync<bool>("() => document.cookie.includes('meshdev-dashboard')"));
    }

    [Fact]
    public async Task Services_page_lists_every_instance_with_its_health()
    {
        var page = await OpenAsync("#services");

        var instances = page.Locator("#services tr.instance");
        await Expect(instances).ToHaveCountAsync(4);
        foreach (var proxyId in DashboardMesh.ProxyIds.Where(id => id != "gateway"))
        {
            var row = page.Locator($"#services tr.instance[data-proxy='{proxyId}']");
            await Expect(row).ToContainTextAsync("healthy");
            await Expect(row).ToContainTextAsync("connected");
        }

        await Expect(page.Locator("#services tr.instance[data-proxy='reviews-v2-sidecar']")).ToContainTextAsync("version=v2");
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("(3)");
        await TestArtifacts.ScreenshotAsync(page, nameof(Services_page_lists_every_instance_with_its_health), output);
    }

    [Fact]
    public async Task Proxies_page_shows_each_proxys_acked_version_sync_state_and_last_push()
    {
        var page = await OpenAsync("#proxies");

        await Expect(page.Locator("#proxies tr.proxy")).ToHaveCountAsync(DashboardMesh.ProxyIds.Length);
        await mesh.WaitInSyncAsync(0);
        foreach (var proxy in await mesh.ProxiesAsync())
        {
            var row = page.Locator($"#proxies tr.proxy[data-proxy='{(string)proxy["id"]!}']");
            Assert.NotNull((string?)proxy["lastPushAt"]);
            await Expect(row.Locator(".acked-version")).ToHaveTextAsync((string)proxy["ackedVersion"]!);
            await Expect(row).ToContainTextAsync("in sync");
            await Expect(row).ToContainTextAsync((string)proxy["mode"]!);
        }

        await TestArtifacts.ScreenshotAsync(page, nameof(Proxies_page_shows_each_proxys_acked_version_sync_state_and_last_push), output);
    }

    [Fact]
    public async Task Topology_page_draws_every_registered_workload_with_the_gateway_as_entry()
    {
        var page = await OpenAsync();

        await Expect(page.Locator("#topology-graph g.node")).ToHaveCountAsync(DashboardMesh.ProxyIds.Length);
        await Expect(page.Locator("#topology-graph g.node[data-kind='gateway']")).ToHaveAttributeAsync("data-id", "gateway");
        await Expect(page.Locator("#topology-graph g.node[data-id='reviews-v2']")).ToHaveAttributeAsync("data-version", "v2");
        await Expect(page.Locator("#topology-graph g.group[data-app='reviews']")).ToHaveCountAsync(1);

        // Columns follow who calls whom: the gateway left of productpage, productpage left of the services it calls.
        async Task<float> X(string id) => (await page.Locator($"#topology-graph g.node[data-id='{id}'] circle, #topology-graph g.node[data-id='{id}'] polygon").BoundingBoxAsync())!.X;
        Assert.True(await X("gateway") < await X("productpage-v1"));
        Assert.True(await X("productpage-v1") < await X("reviews-v1"));
        Assert.Equal(await X("reviews-v1"), await X("details-v1"));
        await TestArtifacts.ScreenshotAsync(page, nameof(Topology_page_draws_every_registered_workload_with_the_gateway_as_entry), output);
    }

    [Fact]
    public async Task Editor_applies_a_valid_virtual_service_that_then_is_in_the_config_and_reaches_the_proxies()
    {
        var before = await mesh.ConfigVersionAsync();
        var page = await OpenAsync("#editor");

        await page.Locator("#yaml-editor").FillAsync(ReviewsToV2);
        await page.Locator("#apply-config").ClickAsync();

        var outcome = page.Locator("#editor-outcome");
        await Expect(outcome).ToHaveAttributeAsync("data-outcome", "ok");
        await Expect(outcome.Locator("li.applied")).ToHaveCountAsync(2);
        var version = await mesh.ConfigVersionAsync();
        Assert.True(version > before);
        await Expect(outcome).ToContainTextAsync($"config version {version}");
        await TestArtifacts.ScreenshotAsync(page, nameof(Editor_applies_a_valid_virtual_service_that_then_is_in_the_config_and_reaches_the_proxies), output);

        var applied = (await mesh.ControlPlane.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/VirtualService/default/reviews"))!;
        Assert.Equal("dashboard", (string?)applied["source"]);
        Assert.Equal("v2", (string?)applied["spec"]!["http"]![0]!["route"]![0]!["destination"]!["subset"]);
        await mesh.WaitInSyncAsync(version);

        // The config page lists it, and productpage's config dump (read through the control plane) routes to v2.
        await page.GotoAsync("/#config");
        await Expect(page.Locator("#config-resources tr.resource[data-kind='VirtualService'][data-name='reviews']")).ToContainTextAsync("dashboard");
        await Expect(page.Locator("#config-summary")).ToContainTextAsync($"version {version}");
        await page.GotoAsync("/#config-dump/productpage-v1-sidecar");
        await Expect(page.Locator("#config-dump")).ToContainTextAsync("reviews/v2");
        await TestArtifacts.ScreenshotAsync(page, "Config_dump_of_productpage_after_the_apply", output);
    }

    [Fact]
    public async Task Editor_shows_an_invalid_yamls_validation_message_with_field_and_line_and_changes_nothing()
    {
        var before = await mesh.ConfigVersionAsync();
        using var analysis = await mesh.ControlPlane.Http.PostAsync("/api/v1/analyze", new StringContent(WeightsNotHundred, Encoding.UTF8, "application/yaml"));
        var expected = (await analysis.Content.ReadFromJsonAsync<JsonObject>())!["messages"]!.AsArray().Single()!;
        var page = await OpenAsync("#editor");

        await page.Locator("#yaml-editor").FillAsync(WeightsNotHundred);
        await page.Locator("#apply-config").ClickAsync();

        var outcome = page.Locator("#editor-outcome");
        await Expect(outcome).ToHaveAttributeAsync("data-outcome", "bad");
        await Expect(outcome).ToContainTextAsync("nothing changed");
        var message = outcome.Locator("tr.config-message[data-field='spec.http[0].route']");
        await Expect(message).ToHaveCountAsync(1);
        Assert.NotNull((int?)expected["line"]);
        await Expect(message).ToHaveAttributeAsync("data-line", ((int)expected["line"]!).ToString());
        await Expect(message.Locator(".message-text")).ToContainTextAsync("add up to 90");
        await TestArtifacts.ScreenshotAsync(page, nameof(Editor_shows_an_invalid_yamls_validation_message_with_field_and_line_and_changes_nothing), output);

        Assert.Equal(before, await mesh.ConfigVersionAsync());
        using var missing = await mesh.ControlPlane.Http.GetAsync("/api/v1/config/VirtualService/default/reviews-split");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // Analyze says the same without applying.
        await page.Locator("#analyze-config").ClickAsync();
        await Expect(outcome).ToContainTextAsync("Not valid");
        await Expect(outcome.Locator("tr.config-message[data-field='spec.http[0].route']")).ToHaveCountAsync(1);
        Assert.Equal(before, await mesh.ConfigVersionAsync());
    }

    [Fact]
    public async Task Config_dump_page_shows_what_the_proxys_own_admin_listener_holds()
    {
        var page = await OpenAsync("#config-dump/productpage-v1-sidecar");

        var dump = page.Locator("#config-dump");
        await Expect(dump.Locator("table").First).ToContainTextAsync("details");
        await Expect(dump.Locator("table").First).ToContainTextAsync("reviews");
        await Expect(page.Locator("#config-dump-proxy")).ToHaveValueAsync("productpage-v1-sidecar");

        using var viaApi = await mesh.ControlPlane.Http.GetAsync("/api/v1/proxies/productpage-v1-sidecar/config_dump");
        Assert.Equal(HttpStatusCode.OK, viaApi.StatusCode);
        var version = (string?)(await viaApi.Content.ReadFromJsonAsync<JsonObject>())!["version"];
        Assert.False(string.IsNullOrEmpty(version));
        await Expect(dump.Locator("summary")).ToContainTextAsync(version!);
        await TestArtifacts.ScreenshotAsync(page, nameof(Config_dump_page_shows_what_the_proxys_own_admin_listener_holds), output);
    }

    [Fact]
    public async Task Certificates_page_shows_the_issued_certificates_or_that_none_are_available()
    {
        using var certificates = await mesh.ControlPlane.Http.GetAsync("/api/v1/certificates");
        var page = await OpenAsync("#certificates");

        if (certificates.StatusCode == HttpStatusCode.NotFound)
        {
            await Expect(page.Locator("#certificates-unavailable")).ToContainTextAsync("not available");
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, certificates.StatusCode);
            var issued = (await certificates.Content.ReadFromJsonAsync<JsonArray>())!;
            await Expect(page.Locator("#certificates tr.certificate")).ToHaveCountAsync(issued.Count);
        }

        await TestArtifacts.ScreenshotAsync(page, nameof(Certificates_page_shows_the_issued_certificates_or_that_none_are_available), output);
    }
}
