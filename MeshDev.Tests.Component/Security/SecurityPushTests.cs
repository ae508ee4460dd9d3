using System.Net;
using System.Text;
using MeshDev.Core;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Security;

/// <summary>
/// Istio security YAML applied to a real control plane, compiled, pushed and enforced by a real sidecar process:
/// the whole path a developer's policy takes.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class SecurityPushTests
{
    private static async Task ApplyAsync(ControlPlaneHost host, string yaml)
    {
        using var response = await host.Http.PostAsync("/api/v1/config", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpStatusCode> EventuallyAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode expected, string? bearer = null) =>
        Eventually.ValueAsync(async () =>
        {
            using var request = new HttpRequestMessage(method, path);
            if (bearer is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            }

            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }, status => status == expected, TimeSpan.FromSeconds(15), $"{method} {path} to answer {(int)expected}");

    [Fact]
    public async Task AppliedPolicies_ReachTheSidecar_AndAreEnforced()
    {
        using var issuer = TestIssuer.Rsa("https://issuer.test");
        await using var jwks = await TestBackend.StartAsync(c => c.Response.WriteAsync(issuer.Jwks));
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews"]);
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-v1", "reviews", host.GrpcAddress, app.Url)
            .Set($"{MeshEnvironment.Proxy.Labels}:app", "reviews").Set($"{MeshEnvironment.Proxy.Labels}:version", "v1"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.Settings.InboundPort}") };
        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpMethod.Get, "/", HttpStatusCode.OK));

        await ApplyAsync(host, File.ReadAllText(Path.Combine(Path.GetDirectoryName(Config.ConfigTestData.BookinfoFolder)!, "security", "allow-nothing.yaml")));
        Assert.Equal(HttpStatusCode.Forbidden, await EventuallyAsync(client, HttpMethod.Get, "/", HttpStatusCode.Forbidden));

        await ApplyAsync(host, $$$"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: reviews-viewer}
            spec:
              selector: {matchLabels: {app: reviews}}
              rules:
              - to: [{operation: {methods: [GET]}}]
                when: [{key: "request.auth.claims[groups]", values: [readers]}]
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: istio-system}
            spec:
              jwtRules:
              - issuer: https://issuer.test
                jwksUri: {{{jwks.Url}}}
            """);
        var reader = issuer.Token("alice", claims: new Dictionary<string, object> { ["groups"] = new[] { "readers" } });
        // The key set arrives with a push after the control plane has fetched it.
        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpMethod.Get, "/", HttpStatusCode.OK, bearer: reader));
        Assert.Equal(HttpStatusCode.Forbidden, await EventuallyAsync(client, HttpMethod.Post, "/", HttpStatusCode.Forbidden, bearer: reader));
        Assert.Equal(HttpStatusCode.Forbidden, await EventuallyAsync(client, HttpMethod.Get, "/", HttpStatusCode.Forbidden, bearer: issuer.Token("bob")));
        Assert.Equal(HttpStatusCode.Unauthorized, await EventuallyAsync(client, HttpMethod.Get, "/", HttpStatusCode.Unauthorized, bearer: reader + "x"));

        var dump = (await proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("inboundSecurity");
        Assert.Equal("PERMISSIVE", dump.GetProperty("mtlsMode").GetString());
        Assert.Equal(["default/allow-nothing", "default/reviews-viewer"],
            dump.GetProperty("authorizationPolicies").EnumerateArray().Select(p => $"{p.GetProperty("namespace").GetString()}/{p.GetProperty("name").GetString()}"));
        var jwtRule = Assert.Single(dump.GetProperty("jwtRules").EnumerateArray());
        Assert.Equal((1, "istio-system/jwt"), (jwtRule.GetProperty("keys").GetInt32(), jwtRule.GetProperty("source").GetString()));

        var meshctl = new Cli.Meshctl(host);
        var policies = await meshctl.RunAsync("get", "ap");
        Assert.Equal(0, policies.ExitCode);
        Assert.Equal(["NAME NAMESPACE ACTION SELECTOR RULES SOURCE", "allow-nothing default ALLOW - 0 api", "reviews-viewer default ALLOW app=reviews 1 api"],
            policies.OutLines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        Assert.Contains("https://issuer.test", (await meshctl.RunAsync("get", "requestauthentications")).Out);

        using var deleted = await host.Http.DeleteAsync("/api/v1/config/authorizationpolicy/default/allow-nothing");
        using var deletedViewer = await host.Http.DeleteAsync("/api/v1/config/AuthorizationPolicy/default/reviews-viewer");
        Assert.Equal(HttpStatusCode.OK, await EventuallyAsync(client, HttpMethod.Post, "/", HttpStatusCode.OK));
    }
}
