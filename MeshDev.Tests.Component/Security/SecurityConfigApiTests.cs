using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Push.Compiling.Security;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.Core;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDev.Tests.Security;

/// <summary>The security kinds over real sockets: key sets fetched from a JWKS server, and the config API keeping them.</summary>
public sealed class SecurityConfigApiTests
{
    private static readonly MeshDev.ControlPlane.Registry.Workload Ratings = TestWorkloads.Connected("ratings");

    [Fact]
    public async Task JwksUri_IsFetchedByTheControlPlane_AndAFailureLeavesTheRuleWithoutKeysAndIsReported()
    {
        using var issuer = TestIssuer.EllipticCurve("https://issuer.test");
        await using var jwksServer = await TestBackend.StartAsync(c => c.Request.Path == "/jwks.json"
            ? c.Response.WriteAsync(issuer.Jwks)
            : Task.FromResult(c.Response.StatusCode = StatusCodes.Status404NotFound));
        var config = TestWorkloads.ValidConfig($"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {"{"}name: jwt, namespace: istio-system{"}"}
            spec:
              jwtRules:
              - issuer: https://issuer.test
                jwksUri: {jwksServer.Url}jwks.json
              - issuer: https://missing.test
                jwksUri: {jwksServer.Url}missing.json
                timeout: 2s
            """, "reviews", "ratings");
        var signal = new MeshChangeSignal();
        using var cache = new JwksCache(TimeProvider.System, signal, NullLogger<JwksCache>.Instance);
        var changes = 0;
        signal.Changed += kind => Interlocked.Add(ref changes, kind == MeshChangeKind.CompileInput ? 1 : 0);

        // The first read of the key sets starts the fetches and does not wait for them.
        var first = cache.KeySetsFor(Ratings, config);
        Assert.Empty(first);
        Assert.All(SecurityCompiler.Compile(Ratings, config, first).JwtRules, r => Assert.Equal("", r.Jwks));
        Assert.Null((await cache.FetchNowAsync($"{jwksServer.Url}jwks.json")).Error);
        Assert.Contains("HTTP 404", (await cache.FetchNowAsync($"{jwksServer.Url}missing.json", TimeSpan.FromSeconds(2))).Error);

        var rules = SecurityCompiler.Compile(Ratings, config, cache.KeySetsFor(Ratings, config)).JwtRules;
        Assert.Equal(issuer.Jwks, rules[0].Jwks);
        Assert.Equal($"{jwksServer.Url}jwks.json", rules[0].JwksUri);
        Assert.Equal("", rules[1].Jwks);
        Assert.True(changes >= 2);

        var status = Assert.Single(JwksStatus.Messages(config, cache));
        Assert.False(status.IsError);
        Assert.Equal(("RequestAuthentication", "jwt", "spec.jwtRules[1].jwksUri"), (status.Kind, status.Name, status.Field));
        Assert.Equal(9, status.Line);
        Assert.Contains("https://missing.test", status.Message);
    }

    [Fact]
    public async Task ConfigApi_KeepsTheSecurityKinds_ListsDeletesAndReportsAnUnreachableJwksUri()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: [$"--{MeshEnvironment.ControlPlane.Services}:0=reviews"]);
        var closedPort = FreePort.Next();
        using var applied = await host.Http.PostAsync("/api/v1/config", new StringContent($"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {"{"}name: allow-nothing{"}"}
            spec: {"{}"}
            ---
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata: {"{"}name: default{"}"}
            spec: {"{"}mtls: {"{"}mode: STRICT{"}}"}
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {"{"}name: jwt{"}"}
            spec:
              jwtRules:
              - issuer: https://issuer.test
                jwksUri: http://127.0.0.1:{closedPort}/jwks.json
                timeout: 1s
            """, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);

        var list = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config?kind=authorizationpolicy"))!;
        Assert.Equal("allow-nothing", (string?)Assert.Single(list["resources"]!.AsArray())!["metadata"]!["name"]);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/api/v1/config/PeerAuthentication/default/default")).StatusCode);

        // The control plane tries the key set in the background and reports the failure on the resource.
        var status = await Eventually.ValueAsync(
            async () => (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["status"]!.AsArray(),
            s => s.Count > 0, TimeSpan.FromSeconds(15));
        var message = Assert.Single(status)!;
        Assert.Equal(("RequestAuthentication", "spec.jwtRules[0].jwksUri", "warning"), ((string?)message["kind"], (string?)message["field"], (string?)message["severity"]));

        using var deleted = await host.Http.DeleteAsync("/api/v1/config/requestauthentication/default/jwt");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("RequestAuthentication", (string?)(await deleted.Content.ReadFromJsonAsync<JsonObject>())!["deleted"]!["kind"]);
        Assert.Empty((await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/config/messages"))!["status"]!.AsArray());
    }
}
