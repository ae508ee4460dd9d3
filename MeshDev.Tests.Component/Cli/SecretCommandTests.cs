using System.Text.Json.Nodes;
using MeshDev.Cli;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Cli;

/// <summary>
/// meshctl proxy-config secret and meshctl ca against the real control plane's CA and a real sidecar process that got
/// its certificate from it.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class SecretCommandTests
{
    [Fact]
    public async Task Proxy_config_secret_shows_the_proxys_chain_and_trust_bundle_from_its_certs()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var reviews = await ProxyProcess.StartAsync(ca.Sidecar("reviews-v1", "reviews", "bookinfo-reviews", app.Url));
        await MutualTlsMesh.WaitReadyAsync(reviews);
        var meshctl = new Meshctl(ca.ControlPlane);
        var certs = JsonNode.Parse((await reviews.GetAdminAsync("/certs")).Body)!;
        var root = (await ca.AuthorityAsync()).GetProperty("root");

        var table = await meshctl.RunAsync("proxy-config", "secret", "reviews-v1");
        var json = await meshctl.RunAsync("proxy-config", "secret", "reviews-v1", "-o", "json");
        var yaml = await meshctl.RunAsync("proxy-config", "secret", "reviews-v1", "-o", "yaml");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal(["RESOURCE NAME", "TYPE", "STATE", "IDENTITY", "SERIAL NUMBER", "NOT BEFORE", "NOT AFTER", "ISSUER"], MeshctlTable.Columns(table.OutLines[0]));
        Assert.Equal(3, table.OutLines.Length);
        var leaf = certs["certificateChain"]![0]!;
        var chain = MeshctlTable.Columns(table.OutLines[1]);
        Assert.Equal(["default", "Cert Chain", "VALID", "spiffe://cluster.local/ns/default/sa/bookinfo-reviews", (string)leaf["serialNumber"]!], chain[..5]);
        Assert.Equal(DateTimeOffset.Parse((string)leaf["notAfter"]!).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), chain[6]);
        Assert.Equal(root.GetProperty("subject").GetString(), chain[7]);
        var rootRow = MeshctlTable.Columns(table.OutLines[2]);
        Assert.Equal(["ROOTCA", "CA", "VALID", "-", root.GetProperty("serialNumber").GetString()!], rootRow[..5]);
        Assert.Empty(table.Error);

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.True(JsonNode.DeepEquals(certs, JsonNode.Parse(json.Out)), json.ToString());
        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        Assert.Contains("identity: spiffe://cluster.local/ns/default/sa/bookinfo-reviews", yaml.Out);
        Assert.Contains($"serialNumber: {(string)leaf["serialNumber"]!}", yaml.Out);
        Assert.DoesNotContain("PRIVATE KEY", json.Out + yaml.Out);
    }

    [Fact]
    public async Task Proxy_config_secret_says_why_a_proxy_has_no_certificate()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var plaintext = await ProxyProcess.StartAsync(ProxySettings.Sidecar("details-v1", "details", ca.ControlPlane.GrpcAddress, app.Url));
        // A token for ratings on a proxy that is reviews: the CA refuses it.
        await using var refused = await ProxyProcess.StartAsync(ca.Sidecar("reviews-v1", "reviews", "bookinfo-reviews", app.Url)
            .Set(MeshDev.Core.MeshEnvironment.Proxy.IdentityToken, ca.Token(MeshCa.Identity("bookinfo-ratings"))));
        await refused.WaitUntilAsync(async () => (await refused.GetAdminAsync("/certs")).Body.Contains("PermissionDenied"), "the CA's refusal");
        await plaintext.WaitUntilAsync(async () => await ca.ControlPlane.FindProxyAsync("details-v1") is not null, "details to register");
        var meshctl = new Meshctl(ca.ControlPlane);

        var none = await meshctl.RunAsync("proxy-config", "secret", "details-v1");
        var pending = await meshctl.RunAsync("proxy-config", "secret", "reviews-v1");

        Assert.Equal(ExitCodes.Success, none.ExitCode);
        // No workload certificate; the trust bundle its snapshot carries is still shown.
        Assert.DoesNotContain(none.OutLines, l => l.StartsWith("default"));
        Assert.StartsWith("ROOTCA", Assert.Single(none.OutLines[1..]));
        Assert.Equal("proxy 'details-v1' has no workload identity (no bootstrap token): it has no certificate and speaks plaintext only",
            Assert.Single(none.ErrorLines));
        Assert.Equal(ExitCodes.Success, pending.ExitCode);
        Assert.Equal(["default", "Cert Chain", "PENDING", "spiffe://cluster.local/ns/default/sa/bookinfo-reviews", "-", "-", "-", "-"],
            MeshctlTable.Columns(pending.OutLines[1]));
        Assert.StartsWith("proxy 'reviews-v1' has no valid certificate yet; the CA said: PermissionDenied: ", Assert.Single(pending.ErrorLines));
    }

    [Fact]
    public async Task Ca_root_and_ca_certificates_list_what_the_control_plane_reports()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var reviews = await ProxyProcess.StartAsync(ca.Sidecar("reviews-v1", "reviews", "bookinfo-reviews", app.Url));
        await using var ratings = await ProxyProcess.StartAsync(ca.Sidecar("ratings-v1", "ratings", "bookinfo-ratings", app.Url));
        await MutualTlsMesh.WaitReadyAsync(reviews);
        await MutualTlsMesh.WaitReadyAsync(ratings);
        var meshctl = new Meshctl(ca.ControlPlane);
        var authority = await ca.AuthorityAsync();
        var issued = await ca.IssuedAsync();

        var rootTable = await meshctl.RunAsync("ca", "root");
        var certificatesTable = await meshctl.RunAsync("ca", "certificates");
        var certificatesJson = await meshctl.RunAsync("ca", "certificates", "-o", "json");
        var rootYaml = await meshctl.RunAsync("ca", "root", "-o", "yaml");

        Assert.True(rootTable.ExitCode == 0, rootTable.ToString());
        Assert.Equal(["TRUST DOMAIN", "SOURCE", "ROOT", "SERIAL NUMBER", "NOT AFTER", "SIGNED", "REFUSED"], MeshctlTable.Columns(rootTable.OutLines[0]));
        var rootRow = MeshctlTable.Columns(rootTable.OutLines[1]);
        Assert.Equal(["cluster.local", "generated", authority.GetProperty("root").GetProperty("subject").GetString()!, authority.GetProperty("root").GetProperty("serialNumber").GetString()!], rootRow[..4]);
        Assert.Equal(["2", "0"], rootRow[5..]);

        Assert.True(certificatesTable.ExitCode == 0, certificatesTable.ToString());
        Assert.Equal(["PROXY", "IDENTITY", "SERIAL NUMBER", "NOT BEFORE", "NOT AFTER", "ISSUED AT", "ISSUED"], MeshctlTable.Columns(certificatesTable.OutLines[0]));
        Assert.Equal(
            [("ratings-v1", "spiffe://cluster.local/ns/default/sa/bookinfo-ratings"), ("reviews-v1", "spiffe://cluster.local/ns/default/sa/bookinfo-reviews")],
            certificatesTable.OutLines[1..].Select(l => MeshctlTable.Columns(l) is var c ? (c[0], c[1]) : default));
        var reviewsRow = MeshctlTable.Columns(certificatesTable.OutLines[2]);
        Assert.Equal(issued.Single(c => c.GetProperty("proxyId").GetString() == "reviews-v1").GetProperty("serialNumber").GetString(), reviewsRow[2]);
        Assert.Equal("1", reviewsRow[6]);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await ca.ControlPlane.Http.GetStringAsync("/api/v1/certificates")), JsonNode.Parse(certificatesJson.Out)),
            certificatesJson.ToString());
        Assert.Contains("trustDomain: cluster.local", rootYaml.Out);
        Assert.Contains("source: generated", rootYaml.Out);
    }

    [Fact]
    public async Task Ca_without_a_part_is_bad_usage()
    {
        var result = await Meshctl.RunRawAsync(["ca"]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Contains("certificates", result.Error);
    }
}
