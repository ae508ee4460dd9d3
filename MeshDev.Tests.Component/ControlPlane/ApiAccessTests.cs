using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// Who may use the control plane's HTTP API: the token for writes and sensitive reads, only loopback or allowed Host
/// names, no cross-origin or form-encoded writes, and the dashboard's login cookie. Every refusal leaves the config
/// exactly as it was.
/// </summary>
public sealed class ApiAccessTests
{
    private const string Token = "api-token-of-this-test-0123456789";

    private const string ReviewsRoute = """
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

    private static Task<ControlPlaneHost> StartAsync(params string[] extraArgs) =>
        ControlPlaneHost.StartAsync(extraArgs: [$"--{MeshEnvironment.ControlPlane.ApiToken}={Token}", $"--{MeshEnvironment.ControlPlane.Services}:0=reviews", .. extraArgs]);

    private static HttpRequestMessage Apply(string? token = null, string contentType = "application/yaml")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/config")
        {
            Content = new StringContent(ReviewsRoute, Encoding.UTF8, contentType),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    /// <summary>The config in force: its version and how many resources it holds.</summary>
    private static async Task<(long Version, int Resources)> ConfigAsync(ControlPlaneHost controlPlane)
    {
        var config = (await controlPlane.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!;
        return ((long)config["configVersion"]!, config["resources"]!.AsArray().Count);
    }

    [Fact]
    public async Task Post_without_the_token_is_refused_401_and_changes_nothing()
    {
        await using var controlPlane = await StartAsync();
        using var anonymous = controlPlane.Anonymous();
        var before = await ConfigAsync(controlPlane);

        using var withoutToken = await anonymous.SendAsync(Apply());
        using var wrongToken = await anonymous.SendAsync(Apply(token: "not-the-token-0123456789"));
        using var delete = await anonymous.DeleteAsync("/api/v1/config/VirtualService/default/reviews");

        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal("Bearer", withoutToken.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("API token", (await withoutToken.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        Assert.Equal(before, await ConfigAsync(controlPlane));

        using var withToken = await anonymous.SendAsync(Apply(Token));
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Equal(before.Resources + 1, (await ConfigAsync(controlPlane)).Resources);
    }

    [Fact]
    public async Task Cross_origin_post_with_a_valid_token_is_refused_403_and_changes_nothing()
    {
        await using var controlPlane = await StartAsync();
        using var anonymous = controlPlane.Anonymous();
        var before = await ConfigAsync(controlPlane);

        using var foreignOrigin = Apply(Token);
        foreignOrigin.Headers.Add("Origin", "http://evil.example");
        using var fromForeignOrigin = await anonymous.SendAsync(foreignOrigin);
        using var nullOrigin = Apply(Token);
        nullOrigin.Headers.Add("Origin", "null");
        using var fromNullOrigin = await anonymous.SendAsync(nullOrigin);
        using var crossSite = Apply(Token);
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var fromCrossSite = await anonymous.SendAsync(crossSite);
        // Another port on localhost is another origin of the same site: a page there is refused too.
        using var sameSite = Apply(Token);
        sameSite.Headers.Add("Origin", "http://localhost:3000");
        sameSite.Headers.Add("Sec-Fetch-Site", "same-site");
        using var fromSameSite = await anonymous.SendAsync(sameSite);

        Assert.Equal(HttpStatusCode.Forbidden, fromForeignOrigin.StatusCode);
        Assert.Contains("http://evil.example", await fromForeignOrigin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, fromNullOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fromCrossSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fromSameSite.StatusCode);
        Assert.Equal(before, await ConfigAsync(controlPlane));

        // Its own origin is the dashboard's, and is let through.
        using var ownOrigin = Apply(Token);
        ownOrigin.Headers.Add("Origin", controlPlane.HttpAddress.GetLeftPart(UriPartial.Authority));
        ownOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var fromOwnOrigin = await anonymous.SendAsync(ownOrigin);
        Assert.Equal(HttpStatusCode.OK, fromOwnOrigin.StatusCode);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data")]
    public async Task Form_encoded_and_text_plain_posts_are_refused_even_with_the_token(string contentType)
    {
        await using var controlPlane = await StartAsync();
        using var anonymous = controlPlane.Anonymous();
        var before = await ConfigAsync(controlPlane);

        using var response = await anonymous.SendAsync(Apply(Token, contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/yaml", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await ConfigAsync(controlPlane));
    }

    [Fact]
    public async Task A_foreign_Host_header_is_refused_421_and_loopback_or_allowed_names_are_answered()
    {
        await using var controlPlane = await StartAsync($"--{MeshEnvironment.ControlPlane.AllowedHosts}=meshdev-controlplane,meshdev-controlplane.default.svc");
        using var anonymous = controlPlane.Anonymous();
        var port = controlPlane.HttpAddress.Port;

        async Task<HttpStatusCode> VersionWithHostAsync(string host, HttpMethod? method = null)
        {
            using var request = new HttpRequestMessage(method ?? HttpMethod.Get, "/api/v1/version");
            request.Headers.Host = host;
            using var response = await anonymous.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.MisdirectedRequest, await VersionWithHostAsync($"evil.example:{port}"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await VersionWithHostAsync("localhost.evil.example"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await VersionWithHostAsync("10.1.2.3"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await VersionWithHostAsync("evil.example", HttpMethod.Post));
        foreach (var host in new[] { $"localhost:{port}", "localhost", $"127.0.0.1:{port}", $"[::1]:{port}", "LOCALHOST:1", "meshdev-controlplane:15080", "meshdev-controlplane.default.svc" })
        {
            Assert.Equal(HttpStatusCode.OK, await VersionWithHostAsync(host));
        }

        using var refused = new HttpRequestMessage(HttpMethod.Get, "/health");
        refused.Headers.Host = "rebound.example";
        using var answer = await anonymous.SendAsync(refused);
        Assert.Contains("DNS rebinding", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_dumps_certificates_and_the_ca_need_the_token_while_overviews_stay_open()
    {
        await using var controlPlane = await StartAsync();
        using var anonymous = controlPlane.Anonymous();
        await using var reviews = await controlPlane.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40101"));
        await reviews.NextAsync();

        foreach (var path in new[] { "/api/v1/ca", "/api/v1/certificates", "/api/v1/proxies/reviews-v1-sidecar/config_dump" })
        {
            using var withoutToken = await anonymous.GetAsync(path);
            Assert.True(withoutToken.StatusCode == HttpStatusCode.Unauthorized, $"GET {path} without the token answered {(int)withoutToken.StatusCode}");
            using var withToken = await controlPlane.Http.GetAsync(path);
            Assert.True(withToken.StatusCode != HttpStatusCode.Unauthorized, $"GET {path} with the token answered {(int)withToken.StatusCode}");
        }

        foreach (var path in new[] { "/api/v1/services", "/api/v1/proxies", "/api/v1/proxies/reviews-v1-sidecar", "/api/v1/config", "/api/v1/config/messages", "/api/v1/topology", "/api/v1/version", "/health" })
        {
            using var open = await anonymous.GetAsync(path);
            Assert.True(open.StatusCode == HttpStatusCode.OK, $"GET {path} without the token answered {(int)open.StatusCode}");
        }
    }

    [Fact]
    public async Task The_token_never_appears_in_the_logs()
    {
        var logs = new CapturingLoggerProvider();
        await using var controlPlane = await ControlPlaneHost.StartAsync(
            [$"--{MeshEnvironment.ControlPlane.ApiToken}={Token}", "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft.AspNetCore=Trace"],
            services => services.AddSingleton<ILoggerProvider>(logs));
        using var anonymous = controlPlane.Anonymous();

        using (await anonymous.SendAsync(Apply(Token)))
        using (await anonymous.SendAsync(Apply("wrong-token-0123456789")))
        using (await anonymous.GetAsync($"/login?t={Token}"))
        using (await anonymous.GetAsync("/login?t=wrong-token-0123456789"))
        using (var browser = await controlPlane.DashboardSessionAsync())
        using (await browser.GetAsync("/"))
        {
        }

        var session = controlPlane.Services.GetRequiredService<ApiToken>().SessionValue;
        Assert.Contains("/login", logs.Text, StringComparison.Ordinal); // Trace logging does see the requests
        Assert.DoesNotContain(Token, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Token), logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(session, logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_configured_token_the_control_plane_writes_one_owner_only_to_its_data_folder()
    {
        await using var controlPlane = await ControlPlaneHost.StartAsync(extraArgs: $"--{MeshEnvironment.ControlPlane.Services}:0=reviews");
        var file = controlPlane.Services.GetRequiredService<ApiToken>().GeneratedFile!;

        Assert.Equal(ApiToken.FileName, Path.GetFileName(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        var token = File.ReadAllText(file);
        Assert.True(token.Length >= 40, $"a generated token of {token.Length} characters");
        using var anonymous = controlPlane.Anonymous();
        using var refused = await anonymous.SendAsync(Apply());
        using var accepted = await anonymous.SendAsync(Apply(token));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_configured_token_too_short_to_be_a_secret_stops_the_start_naming_the_key_not_the_value()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ControlPlaneHost.StartAsync(extraArgs: $"--{MeshEnvironment.ControlPlane.ApiToken}=short-secret"));

        Assert.Contains(MeshEnvironment.ControlPlane.ApiToken, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_login_sets_an_HttpOnly_SameSite_Strict_cookie_and_the_page_opens_only_with_it()
    {
        await using var controlPlane = await StartAsync();
        using var anonymous = controlPlane.Anonymous();

        using var withoutCookie = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCookie.StatusCode);
        var loginNeeded = await withoutCookie.Content.ReadAsStringAsync();
        Assert.Contains("Log in to the mesh dashboard", loginNeeded, StringComparison.Ordinal);
        Assert.Contains("Aspire dashboard", loginNeeded, StringComparison.Ordinal);
        Assert.Contains("meshctl dashboard", loginNeeded, StringComparison.Ordinal);

        using var badLink = await anonymous.GetAsync("/login?t=from-an-earlier-run-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, badLink.StatusCode);
        Assert.False(badLink.Headers.Contains("Set-Cookie"));

        using var login = await anonymous.GetAsync($"/login?t={Uri.EscapeDataString(Token)}");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        var attributes = cookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith(ApiToken.SessionCookieName + "=", attributes[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Token, cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("no-store", login.Headers.CacheControl?.ToString());
        Assert.Contains("url=/", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Add("Cookie", attributes[0]);
        using var dashboard = await anonymous.SendAsync(page);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("/dashboard/app.js", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_cookie_authorizes_a_write_only_from_the_dashboards_own_origin()
    {
        await using var controlPlane = await StartAsync();
        using var browser = await controlPlane.DashboardSessionAsync();
        var ownOrigin = controlPlane.HttpAddress.GetLeftPart(UriPartial.Authority);
        var before = await ConfigAsync(controlPlane);

        using var noOrigin = await browser.SendAsync(Apply());
        using var foreign = Apply();
        foreign.Headers.Add("Origin", "http://evil.example");
        using var fromForeign = await browser.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Unauthorized, noOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fromForeign.StatusCode);
        Assert.Equal(before, await ConfigAsync(controlPlane));

        using var fromDashboard = Apply();
        fromDashboard.Headers.Add("Origin", ownOrigin);
        using var accepted = await browser.SendAsync(fromDashboard);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using var certificates = await browser.GetAsync("/api/v1/certificates");
        Assert.Equal(HttpStatusCode.OK, certificates.StatusCode);
    }
}
