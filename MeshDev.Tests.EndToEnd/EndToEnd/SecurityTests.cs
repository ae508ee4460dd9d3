using System.Net;
using Microsoft.Extensions.DependencyInjection;
using MeshDev.Tests.Security;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// Istio's Bookinfo security tasks on the real AppHost, with Istio's own files applied unchanged: every hop is mTLS
/// with certificates from the control plane's CA, and the policies hold as Istio says they do.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecurityTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>, IAsyncLifetime
{
    private readonly MeshConfigChanges _changes = new(mesh);

    [Fact]
    public async Task Strict_mtls_refuses_a_plaintext_client_at_every_sidecar_while_bookinfo_works_through_the_gateway()
    {
        var inbound = new Dictionary<string, InboundListener>();
        foreach (var workload in mesh.Workloads)
        {
            inbound[workload] = await InboundAddressAsync($"{workload}-sidecar");
        }

        // PERMISSIVE (Istio's default): a plaintext client outside the mesh gets through.
        using (var plain = await SendPlaintextAsync(inbound["details-v1"], "/details/0"))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        await _changes.ApplySecurityFilesAsync("peer-authentication-strict.yaml");
        foreach (var (workload, address) in inbound)
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => SendPlaintextAsync(address, "/health"));
            output.WriteLine($"{workload}: plaintext refused ({refused.Message})");
        }

        var gatewayMtlsBefore = (await mesh.GetStatsAsync("gateway")).Counter("cluster.productpage.default.upstream_rq_mtls");
        for (var i = 0; i < 10; i++)
        {
            var html = await mesh.GetPageAsync();
            Assert.Contains(BookinfoPage.Parse(html).ServedBy, new[] { "reviews-v1", "reviews-v2", "reviews-v3" });
            Assert.DoesNotContain("Ratings service is currently unavailable", html);
        }
        Assert.Equal(10, (await mesh.GetStatsAsync("gateway")).Counter("cluster.productpage.default.upstream_rq_mtls") - gatewayMtlsBefore);
        Assert.True((await mesh.GetStatsAsync("productpage-v1-sidecar")).Counter("inbound.productpage.plaintext_refused") >= 1);
    }

    [Fact]
    public async Task Allow_nothing_denies_everything_and_the_viewer_policies_let_exactly_bookinfos_calls_through()
    {
        await _changes.ApplySecurityFilesAsync("allow-nothing.yaml");
        using (var denied = await mesh.Http.GetAsync(new Uri(BookinfoAppFixture.Gateway, "/productpage")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal("RBAC: access denied", await denied.Content.ReadAsStringAsync());
        }

        // productpage-viewer alone: the page loads, but productpage may call neither details nor reviews.
        await _changes.ApplySecurityFilesAsync("productpage-viewer.yaml");
        var partial = await mesh.GetPageAsync();
        Assert.Contains("Error fetching product details!", partial);
        Assert.Contains("Error fetching product reviews!", partial);

        await _changes.ApplySecurityFilesAsync("details-viewer.yaml", "reviews-viewer.yaml", "ratings-viewer.yaml");
        var versions = new HashSet<string>();
        for (var i = 0; i < 15; i++)
        {
            var html = await mesh.GetPageAsync();
            Assert.DoesNotContain("Error fetching", html);
            Assert.DoesNotContain("Ratings service is currently unavailable", html);
            versions.Add(BookinfoPage.Parse(html).ServedBy);
        }
        output.WriteLine($"pages from {string.Join(", ", versions)}");

        // ratings-viewer allows reviews' identity only: productpage's own sidecar, calling ratings with productpage's
        // certificate, is denied by ratings' sidecar.
        var ratings = await mesh.GetOutboundListenerAsync("productpage-v1-sidecar", "ratings");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ratings, "/ratings/0"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var fromProductPage = await mesh.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, fromProductPage.StatusCode);
        Assert.Equal("RBAC: access denied", await fromProductPage.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_jwt_at_the_gateway_allows_no_token_and_valid_ones_refuses_bad_ones_and_a_policy_can_require_one()
    {
        using var issuer = TestIssuer.Rsa("testing@secure.istio.io");
        await _changes.ApplyYamlAsync("jwt-gateway", $$"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata:
              name: jwt-example
              namespace: istio-system
            spec:
              selector:
                matchLabels:
                  istio: ingressgateway
              jwtRules:
              - issuer: testing@secure.istio.io
                jwks: '{{issuer.Jwks}}'
            """);

        Assert.Equal(HttpStatusCode.OK, await PageStatusAsync(token: null));
        Assert.Equal(HttpStatusCode.OK, await PageStatusAsync(issuer.Token("alice")));
        Assert.Equal(HttpStatusCode.Unauthorized, await PageStatusAsync(issuer.Token("alice", expires: DateTime.UtcNow.AddMinutes(-5))));
        Assert.Equal(HttpStatusCode.Unauthorized, await PageStatusAsync(issuer.Token("alice", issuer: "someone-else@example.com")));
        using (var otherKey = TestIssuer.Rsa("testing@secure.istio.io", keyId: "other"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await PageStatusAsync(otherKey.Token("alice")));
        }

        await _changes.ApplyYamlAsync("require-jwt", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: require-jwt
              namespace: istio-system
            spec:
              selector:
                matchLabels:
                  istio: ingressgateway
              action: ALLOW
              rules:
              - from:
                - source:
                    requestPrincipals: ["*"]
            """);
        Assert.Equal(HttpStatusCode.Forbidden, await PageStatusAsync(token: null));
        Assert.Equal(HttpStatusCode.OK, await PageStatusAsync(issuer.Token("alice")));
    }

    [Fact]
    public async Task No_private_key_or_api_token_appears_in_any_api_answer_admin_page_or_log()
    {
        // Traffic first, so that every proxy has been issued certificates and logged what it does.
        for (var i = 0; i < 5; i++)
        {
            await mesh.GetPageAsync();
        }

        var rootKeyFile = Path.Combine(Repository.Root(), "MeshDev.AppHost", ".meshdev", "mesh", "ca", "root-key.pem");
        var rootKeyBody = string.Concat(File.ReadAllLines(rootKeyFile).Where(line => !line.StartsWith("-----", StringComparison.Ordinal)));
        Assert.True(rootKeyBody.Length > 40, $"{rootKeyFile} holds no key");
        var keyLines = File.ReadAllLines(rootKeyFile).Where(line => !line.StartsWith("-----", StringComparison.Ordinal)).ToArray();

        var texts = new Dictionary<string, string>();
        foreach (var path in new[] { "/dashboard/index.html", "/api/v1/ca", "/api/v1/certificates", "/api/v1/proxies", "/api/v1/services", "/api/v1/config", "/api/v1/topology" })
        {
            texts[$"control plane {path}"] = await mesh.Http.GetStringAsync(new Uri(BookinfoAppFixture.ControlPlane, path));
        }
        foreach (var proxy in mesh.ProxyNames)
        {
            var admin = new Uri((await mesh.GetProxyAsync(proxy)).GetProperty("adminUrl").GetString()!);
            foreach (var path in new[] { "/certs", "/config_dump", "/stats", "/stats/prometheus" })
            {
                texts[$"{proxy} {path}"] = await mesh.Http.GetStringAsync(new Uri(admin, path));
            }
            Assert.Contains("BEGIN CERTIFICATE", texts[$"{proxy} /certs"]);
        }
        var loggers = mesh.App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.ResourceLoggerService>();
        foreach (var resource in mesh.ProxyNames.Append("mesh").Concat(mesh.Workloads))
        {
            var lines = new List<string>();
            await foreach (var batch in loggers.GetAllAsync(resource))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
            texts[$"{resource} log"] = string.Join('\n', lines);
        }

        foreach (var (where, text) in texts)
        {
            Assert.False(text.Contains("PRIVATE KEY", StringComparison.Ordinal), $"{where} shows a private key");
            Assert.All(keyLines, line => Assert.False(text.Contains(line, StringComparison.Ordinal), $"{where} holds a line of the CA's root key"));
            Assert.False(text.Contains(mesh.ApiToken, StringComparison.Ordinal), $"{where} shows the control plane's API token");
        }
        output.WriteLine($"{texts.Count} answers and logs checked, {texts.Values.Sum(t => t.Length)} characters");
    }

    private async Task<HttpStatusCode> PageStatusAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BookinfoAppFixture.Gateway, "/productpage"));
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await mesh.Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>A sidecar's inbound listener, and whether it speaks HTTP/2 (prior knowledge when plaintext).</summary>
    private sealed record InboundListener(Uri Address, bool Http2);

    private async Task<InboundListener> InboundAddressAsync(string proxyId)
    {
        var dump = await mesh.GetConfigDumpAsync(proxyId);
        var listener = dump.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("direction").GetString() == "inbound");
        return new InboundListener(
            new Uri($"http://{listener.GetProperty("address").GetString()}"),
            listener.GetProperty("protocol").GetString() is "http2" or "grpc");
    }

    /// <summary>A client outside the mesh: plain HTTP, no certificate.</summary>
    private static async Task<HttpResponseMessage> SendPlaintextAsync(InboundListener inbound, string path)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(inbound.Address, path))
        {
            Version = inbound.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        return await client.SendAsync(request);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _changes.RevertAsync();
}
