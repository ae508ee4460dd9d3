using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Routing;
using Microsoft.Extensions.Configuration;
using MeshDev.Proxy.Identity;

namespace MeshDev.Tests.Proxy;

/// <summary>How the proxy reads its identity settings and the security part of a snapshot.</summary>
public sealed class MutualTlsUnitTests
{
    [Fact]
    public void Identity_is_made_of_trust_domain_namespace_and_service_account_and_the_token_never_shows()
    {
        var values = SidecarValues();
        values["Mesh:Identity:Token"] = "s3cr3t-token";
        values["Mesh:Namespace"] = "bookinfo";
        values["Mesh:Identity:ServiceAccount"] = "bookinfo-reviews";
        values["Mesh:Identity:TrustDomain"] = "example.org";
        values["Mesh:Identity:CertificateLifetime"] = "00:30:00";

        var options = Read(values);

        Assert.Equal("spiffe://example.org/ns/bookinfo/sa/bookinfo-reviews", options.Identity!.Id.ToString());
        Assert.Equal(TimeSpan.FromMinutes(30), options.Identity.RequestedLifetime);
        Assert.DoesNotContain("s3cr3t-token", options.ToString());
        Assert.DoesNotContain("s3cr3t-token", options.Identity.ToString());
    }

    [Fact]
    public void Defaults_name_the_service_in_cluster_local_and_no_token_means_no_identity()
    {
        var values = SidecarValues();
        Assert.Null(Read(values).Identity);

        values["Mesh:Identity:Token"] = "t";
        var identity = Read(values).Identity!;
        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", identity.Id.ToString());
        Assert.Null(identity.RequestedLifetime);
    }

    [Theory]
    [InlineData("Mesh:Identity:CertificateLifetime", "forever", "Mesh:Identity:CertificateLifetime is \"forever\"; expected a duration of at least one second")]
    [InlineData("Mesh:Identity:ServiceAccount", "a/b", "is not a valid SPIFFE ID")]
    public void Bad_identity_settings_are_refused_naming_the_key_and_not_the_token(string key, string value, string message)
    {
        var values = SidecarValues();
        values["Mesh:Identity:Token"] = "s3cr3t-token";
        values[key] = value;

        var error = Assert.Throws<ProxyConfigurationException>(() => Read(values));
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("s3cr3t-token", error.Message);
    }

    [Fact]
    public void Inbound_mode_is_the_ports_own_else_the_workloads_and_unset_is_permissive()
    {
        Assert.Equal(MtlsMode.Permissive, TransportSecurity.Build(new ProxySnapshot()).InboundMode(9080));

        var security = TransportSecurity.Build(new ProxySnapshot
        {
            InboundSecurity = new InboundSecurity
            {
                MtlsMode = MtlsMode.Strict,
                PortMtls = { [9080] = MtlsMode.Disable, [9090] = MtlsMode.Unspecified },
            },
        });

        Assert.Equal(MtlsMode.Disable, security.InboundMode(9080));
        // An unset port-level mode inherits the workload's.
        Assert.Equal(MtlsMode.Strict, security.InboundMode(9090));
        Assert.Equal(MtlsMode.Strict, security.InboundMode(7000));
    }

    [Fact]
    public void Endpoints_with_an_identity_are_dialled_with_mtls_unless_their_cluster_disables_it()
    {
        var snapshot = new ProxySnapshot
        {
            Clusters =
            {
                Cluster("reviews", ClusterTlsMode.Unspecified, ("127.0.0.1:1001", "spiffe://cluster.local/ns/default/sa/reviews"), ("127.0.0.1:1002", "")),
                Cluster("ratings", ClusterTlsMode.Disable, ("127.0.0.1:2001", "spiffe://cluster.local/ns/default/sa/ratings")),
                Cluster("details", ClusterTlsMode.IstioMutual, ("[::1]:3001", "spiffe://cluster.local/ns/default/sa/details")),
            },
        };

        var security = TransportSecurity.Build(snapshot);

        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", security.Upstream("127.0.0.1:1001")!.Identity.ToString());
        Assert.Equal("reviews", security.Upstream("127.0.0.1", 1001)!.Cluster);
        Assert.Null(security.Upstream("127.0.0.1:1002"));
        Assert.Null(security.Upstream("127.0.0.1:2001"));
        // The dialled form of an IPv6 address has no brackets.
        Assert.Equal("details", security.Upstream("::1", 3001)!.Cluster);
        Assert.Equal("details", security.Upstream("[::1]:3001")!.Cluster);
    }

    [Fact]
    public void An_endpoint_identity_that_is_not_a_spiffe_id_refuses_the_snapshot_naming_it()
    {
        var snapshot = new ProxySnapshot { Clusters = { Cluster("reviews", ClusterTlsMode.Unspecified, ("127.0.0.1:1001", "reviews")) } };

        var error = Assert.Throws<InvalidSnapshotException>(() => TransportSecurity.Build(snapshot));
        Assert.Contains("cluster 'reviews' endpoint 127.0.0.1:1001: identity 'reviews' is not a SPIFFE ID", error.Message);
    }

    private static Cluster Cluster(string name, ClusterTlsMode mode, params (string Address, string Identity)[] endpoints)
    {
        var cluster = new Cluster { Name = name, Tls = new ClusterTls { Mode = mode } };
        cluster.Endpoints.Add(endpoints.Select(e => new Endpoint { Address = e.Address, Identity = e.Identity, Healthy = true }));
        return cluster;
    }

    private static Dictionary<string, string?> SidecarValues() => new()
    {
        ["Mesh:Mode"] = "sidecar",
        ["Mesh:ProxyId"] = "reviews-1",
        ["Mesh:Service"] = "reviews",
        ["Mesh:ControlPlane:Address"] = "http://127.0.0.1:15010",
        ["Mesh:Admin:Port"] = "15000",
        ["Mesh:Inbound:Port"] = "15001",
        ["Mesh:Inbound:ServicePort"] = "9080",
        ["Mesh:App:Address"] = "http://127.0.0.1:5000",
    };

    private static ProxyOptions Read(Dictionary<string, string?> values) =>
        ProxyOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
}
