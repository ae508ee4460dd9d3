using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Security;

/// <summary>
/// JWT authentication and authorization policies enforced by a real proxy process, sidecar and gateway, with
/// the snapshots a scripted control plane pushes. (Peer principals need mTLS; see AuthorizationEngineTests.)
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class SecurityProxyTests
{
    /// <summary>An app that answers with what reached it: method, path and the headers a test looks for.</summary>
    private static Task<TestBackend> EchoAppAsync() => TestBackend.StartAsync(c => c.Response.WriteAsync(
        $"app {c.Request.Method} {c.Request.Path} authorization={c.Request.Headers.Authorization} payload={c.Request.Headers["x-jwt-payload"]}"));

    private static ProxySnapshot Snapshot(string version, params AuthorizationRule[] policies) => WithPolicies(new ProxySnapshot { Version = version }, policies);

    private static ProxySnapshot WithPolicies(ProxySnapshot snapshot, params AuthorizationRule[] policies)
    {
        snapshot.InboundSecurity ??= new InboundSecurity();
        snapshot.InboundSecurity.AuthorizationPolicies.AddRange(policies);
        return snapshot;
    }

    private static AuthorizationRule Policy(string name, AuthorizationAction action, params AuthorizationPolicyRule[] rules)
    {
        var policy = new AuthorizationRule { Name = name, Namespace = "default", Action = action };
        policy.Rules.AddRange(rules);
        return policy;
    }

    private static async Task<(ProxyProcess Proxy, ScriptedControlPlane ControlPlane, HttpClient Client)> StartSidecarAsync(TestBackend app, string id, ProxySnapshot snapshot)
    {
        var controlPlane = await ScriptedControlPlane.StartAsync();
        var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar(id, "reviews", controlPlane.Address, app.Url));
        var stream = await controlPlane.NextStreamAsync(id);
        stream.Push(snapshot);
        await stream.NextAckAsync();
        return (proxy, controlPlane, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.Settings.InboundPort}") });
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? bearer = null, (string, string)? header = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (header is { } h)
        {
            request.Headers.Add(h.Item1, h.Item2);
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sidecar_DeniesWith403_EvaluatesDenyBeforeAllow_AndCountsAndLogsThePolicy()
    {
        await using var app = await EchoAppAsync();
        var snapshot = Snapshot("v1",
            Policy("viewer", AuthorizationAction.Allow, new AuthorizationPolicyRule { To = { new AuthorizationOperation { Methods = { "GET" }, Paths = { "/reviews/*" } } } }),
            Policy("no-debug", AuthorizationAction.Deny, new AuthorizationPolicyRule { When = { new AuthorizationCondition { Key = "request.headers[x-debug]", Values = { "*" } } } }));
        var (proxy, controlPlane, client) = await StartSidecarAsync(app, "reviews-authz", snapshot);
        // Disposed in reverse: the proxy closes its stream before the control plane stops.
        await using var _ = controlPlane;
        await using var __ = proxy;
        using var ___ = client;

        Assert.Equal((HttpStatusCode.OK, "app GET /reviews/0 authorization= payload="), await SendAsync(client, HttpMethod.Get, "/reviews/0"));
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Post, "/reviews/0"));
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Get, "/ratings"));
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Get, "/reviews/0", header: ("x-debug", "1")));

        var counters = (await proxy.StatsAsync()).GetProperty("counters");
        Assert.Equal(1, counters.GetProperty("inbound.reviews.rbac.allowed").GetInt64());
        Assert.Equal(3, counters.GetProperty("inbound.reviews.rbac.denied").GetInt64());
        Assert.Equal(1, counters.GetProperty("rbac.policy.default.no-debug.denied").GetInt64());
        Assert.Equal(3, counters.GetProperty("inbound.reviews.rq_403").GetInt64());
        await proxy.WaitUntilAsync(() => Task.FromResult(proxy.Output.Contains("denied by DENY policy default/no-debug")), "the denial to be logged with its policy");
        Assert.Contains("no ALLOW policy matched", proxy.Output);
    }

    [Fact]
    public async Task Sidecar_AllowNothing_ThenAPushThatLiftsIt()
    {
        await using var app = await EchoAppAsync();
        var controlPlane = await ScriptedControlPlane.StartAsync();
        await using var _ = controlPlane;
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-nothing", "reviews", controlPlane.Address, app.Url));
        var stream = await controlPlane.NextStreamAsync("reviews-nothing");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.Settings.InboundPort}") };

        stream.Push(Snapshot("v1", Policy("allow-nothing", AuthorizationAction.Allow)));
        await stream.NextAckAsync();
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Get, "/"));

        stream.Push(Snapshot("v2"));
        await stream.NextAckAsync();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/")).Status);
    }

    [Fact]
    public async Task Sidecar_RequestAuthentication_RejectsBadTokens_PassesNoToken_AndFeedsRequestPrincipals()
    {
        using var issuer = TestIssuer.Rsa("testing@secure.istio.io");
        await using var app = await EchoAppAsync();
        var snapshot = Snapshot("v1",
            Policy("private-needs-jwt", AuthorizationAction.Deny, new AuthorizationPolicyRule
            {
                From = { new AuthorizationSource { NotRequestPrincipals = { "*" } } },
                To = { new AuthorizationOperation { Paths = { "/private*" } } },
            }));
        snapshot.InboundSecurity.JwtRules.Add(new JwtRule
        {
            Issuer = issuer.Issuer, Jwks = issuer.Jwks, Audiences = { "bookinfo" }, OutputPayloadToHeader = "x-jwt-payload", Source = "default/jwt",
        });
        var (proxy, controlPlane, client) = await StartSidecarAsync(app, "reviews-jwt", snapshot);
        // Disposed in reverse: the proxy closes its stream before the control plane stops.
        await using var _ = controlPlane;
        await using var __ = proxy;
        using var ___ = client;

        // No token: authentication lets it through without an identity; the DENY policy then guards /private.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/public")).Status);
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Get, "/private"));

        var token = issuer.Token("alice", audience: "bookinfo");
        var (status, body) = await SendAsync(client, HttpMethod.Get, "/private", bearer: token);
        Assert.Equal(HttpStatusCode.OK, status);
        // The token does not reach the app (forwardOriginalToken is false); its payload does.
        Assert.StartsWith("app GET /private authorization= payload=", body);
        Assert.Equal(token.Split('.')[1], body.Split("payload=")[1]);

        Assert.Equal((HttpStatusCode.Unauthorized, "Jwt verification fails"), await SendAsync(client, HttpMethod.Get, "/public", bearer: issuer.Token("alice", audience: "other")));
        Assert.Equal((HttpStatusCode.Unauthorized, "Jwt verification fails"), await SendAsync(client, HttpMethod.Get, "/public", bearer: issuer.Token("alice", audience: "bookinfo", expires: DateTime.UtcNow.AddMinutes(-10))));
        Assert.Equal((HttpStatusCode.Unauthorized, "Jwt verification fails"), await SendAsync(client, HttpMethod.Get, $"/public?access_token={issuer.Token("alice", audience: "bookinfo", issuer: "elsewhere")}"));

        var counters = (await proxy.StatsAsync()).GetProperty("counters");
        Assert.Equal(3, counters.GetProperty("inbound.reviews.jwt_authn.denied").GetInt64());
        Assert.Equal(3, counters.GetProperty("inbound.reviews.jwt_authn.allowed").GetInt64());
        Assert.Equal(1, counters.GetProperty("rbac.policy.default.private-needs-jwt.denied").GetInt64());
        await proxy.WaitUntilAsync(() => Task.FromResult(proxy.Output.Contains("Jwt is expired")), "the expired token to be logged");
        Assert.DoesNotContain(token.Split('.')[2], proxy.Output);
    }

    [Fact]
    public async Task Gateway_EnforcesItsOwnPolicies_BeforeRouting()
    {
        await using var productpage = await TestBackend.StartAsync(c => c.Response.WriteAsync($"productpage {c.Request.Path}"));
        var snapshot = WithPolicies(Snapshots.Of("v1", Snapshots.Cluster("productpage", LoadBalancerPolicy.LeastRequest, productpage.Address))
                .With(Routes.Table("80", Routes.Route("all", "productpage"))),
            Policy("gateway-get-only", AuthorizationAction.Allow, new AuthorizationPolicyRule
            {
                To = { new AuthorizationOperation { Methods = { "GET" }, Ports = { "80" }, Hosts = { "127.0.0.1:*" } } },
            }));
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => snapshot);
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("ingressgateway-authz", controlPlane.Address, gatewayPort));
        await (await controlPlane.NextStreamAsync("ingressgateway-authz")).NextAckAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };

        Assert.Equal((HttpStatusCode.OK, "productpage /productpage"), await SendAsync(client, HttpMethod.Get, "/productpage"));
        Assert.Equal((HttpStatusCode.Forbidden, "RBAC: access denied"), await SendAsync(client, HttpMethod.Delete, "/productpage"));

        var counters = (await gateway.StatsAsync()).GetProperty("counters");
        Assert.Equal(1, counters.GetProperty("gateway.rbac.denied").GetInt64());
        Assert.Equal(1, counters.GetProperty("gateway.rbac.allowed").GetInt64());
        Assert.Equal(1, counters.GetProperty("cluster.productpage.upstream_rq_total").GetInt64());
    }

    [Fact]
    public async Task PolicyWithAValueTheControlPlaneShouldHaveRefused_IsNackedNamingThePolicy()
    {
        await using var app = await EchoAppAsync();
        var controlPlane = await ScriptedControlPlane.StartAsync();
        await using var _ = controlPlane;
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("reviews-nack", "reviews", controlPlane.Address, app.Url));
        var stream = await controlPlane.NextStreamAsync("reviews-nack");

        stream.Push(Snapshot("bad", Policy("office", AuthorizationAction.Allow, new AuthorizationPolicyRule { From = { new AuthorizationSource { IpBlocks = { "10.0.0.0/99" } } } })));

        var nack = await stream.NextNackAsync();
        Assert.Contains("authorization policy default/office", nack.Reason);
        Assert.Contains("10.0.0.0/99", nack.Reason);
    }
}
