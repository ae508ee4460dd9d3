using System.Text.Json;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Admin;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Listeners;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.Proxy;

/// <summary>What /config_dump says about each hop's security, from the proxy's identity and the snapshot.</summary>
public sealed class HopSecurityUnitTests
{
    private const string Reviews = "spiffe://cluster.local/ns/default/sa/reviews";
    private const string Ratings = "spiffe://cluster.local/ns/default/sa/ratings";

    [Fact]
    public void With_an_identity_each_endpoint_shows_its_spiffe_id_and_whether_it_is_dialled_with_mtls()
    {
        var dump = Dump(withIdentity: true, inbound: new InboundSecurity { MtlsMode = MtlsMode.Permissive, PortMtls = { [9080] = MtlsMode.Strict } });

        Assert.Equal("spiffe://cluster.local/ns/default/sa/productpage", dump.GetProperty("identity").GetString());
        var clusters = dump.GetProperty("snapshot").GetProperty("clusters").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("AUTO", clusters["reviews"].GetProperty("tls").GetString());
        Assert.Equal("DISABLE", clusters["ratings"].GetProperty("tls").GetString());
        Assert.Equal("ISTIO_MUTUAL", clusters["details"].GetProperty("tls").GetString());
        Assert.Equal([(Reviews, true), (null, false)], Endpoints(clusters["reviews"]));
        // DISABLE: the identity is still known, the hop is plaintext.
        Assert.Equal([(Ratings, false)], Endpoints(clusters["ratings"]));
        // The port-level mode for the service port is the one in force.
        Assert.Equal("STRICT", Inbound(dump).GetProperty("mtlsMode").GetString());
        Assert.False(dump.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("direction").GetString() == "outbound").TryGetProperty("mtlsMode", out _));
    }

    [Fact]
    public void Without_an_identity_no_hop_uses_mtls_and_the_inbound_listener_is_plaintext_only()
    {
        var dump = Dump(withIdentity: false, inbound: new InboundSecurity { MtlsMode = MtlsMode.Strict });

        Assert.Equal(JsonValueKind.Null, dump.GetProperty("identity").ValueKind);
        var reviews = dump.GetProperty("snapshot").GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "reviews");
        Assert.Equal([(Reviews, false), (null, false)], Endpoints(reviews));
        Assert.Equal("DISABLE", Inbound(dump).GetProperty("mtlsMode").GetString());
    }

    private static JsonElement Dump(bool withIdentity, InboundSecurity inbound)
    {
        var values = new Dictionary<string, string?>
        {
            ["Mesh:Mode"] = "sidecar",
            ["Mesh:ProxyId"] = "productpage-1",
            ["Mesh:Service"] = "productpage",
            ["Mesh:ControlPlane:Address"] = "http://127.0.0.1:15010",
            ["Mesh:Admin:Port"] = "15000",
            ["Mesh:Inbound:Port"] = "15001",
            ["Mesh:Inbound:ServicePort"] = "9080",
            ["Mesh:App:Address"] = "http://127.0.0.1:5000",
        };
        if (withIdentity)
        {
            values["Mesh:Identity:Token"] = "token";
        }

        var options = ProxyOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        var snapshot = new ProxySnapshot
        {
            Version = "v1",
            InboundSecurity = inbound,
            Clusters =
            {
                Cluster("reviews", ClusterTlsMode.Unspecified, ("127.0.0.1:1001", Reviews), ("127.0.0.1:1002", "")),
                Cluster("ratings", ClusterTlsMode.Disable, ("127.0.0.1:2001", Ratings)),
                Cluster("details", ClusterTlsMode.IstioMutual),
            },
        };
        var runtime = RuntimeSnapshot.Build(snapshot, RuntimeSnapshot.Empty, DateTimeOffset.UtcNow);
        ListenerDescription[] listeners =
        [
            new("inbound", "127.0.0.1", 15001, ServiceProtocol.Http, ListenerDirection.Inbound, "productpage"),
            new("outbound|reviews", "127.0.0.1", 15002, ServiceProtocol.Http, ListenerDirection.Outbound, "reviews"),
        ];
        return JsonDocument.Parse(ConfigDumpWriter.Write(options, runtime, null, listeners)).RootElement;
    }

    private static (string?, bool)[] Endpoints(JsonElement cluster) =>
        [.. cluster.GetProperty("endpoints").EnumerateArray().Select(e => (e.GetProperty("identity").GetString(), e.GetProperty("mtls").GetBoolean()))];

    private static JsonElement Inbound(JsonElement dump) =>
        dump.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("direction").GetString() == "inbound");

    private static Cluster Cluster(string name, ClusterTlsMode mode, params (string Address, string Identity)[] endpoints)
    {
        var cluster = new Cluster { Name = name, Tls = new ClusterTls { Mode = mode } };
        cluster.Endpoints.Add(endpoints.Select(e => new Endpoint { Address = e.Address, Identity = e.Identity, Healthy = true, ProxyId = e.Address }));
        return cluster;
    }
}
