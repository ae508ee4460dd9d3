using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.Proxy;

[Collection(ProxyProcessCollection.Name)]
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Missing_required_key_stops_the_process_with_exit_code_2_naming_the_key()
    {
        var settings = ProxySettings.Sidecar("reviews-1", "reviews", new Uri("http://127.0.0.1:1"), new Uri("http://127.0.0.1:2"))
            .Remove("Mesh:Inbound:Port");

        var (exitCode, output) = await ProxyProcess.RunToExitAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains("Mesh:Inbound:Port is required in sidecar mode (environment variable Mesh__Inbound__Port).", output);
    }

    [Theory]
    [InlineData("Mesh:Mode", "mesh", "Mesh:Mode is \"mesh\"; expected \"sidecar\" or \"gateway\"")]
    [InlineData("Mesh:Inbound:Protocol", "udp", "Mesh:Inbound:Protocol is \"udp\"; expected http, http2, grpc or tcp")]
    [InlineData("Mesh:Inbound:Port", "70000", "Mesh:Inbound:Port is \"70000\"; expected a port number from 1 to 65535")]
    [InlineData("Mesh:App:Address", "127.0.0.1:5000", "Mesh:App:Address is \"127.0.0.1:5000\"; expected an http:// URL")]
    [InlineData("Mesh:ControlPlane:Address", "https://cp:15010", "Mesh:ControlPlane:Address is \"https://cp:15010\"; expected an http:// URL")]
    [InlineData("Mesh:Outbound:ratings:Port", "", "Mesh:Outbound:ratings:Port is required in sidecar mode")]
    [InlineData("Mesh:Proxy:HealthProbeInterval", "soon", "Mesh:Proxy:HealthProbeInterval is \"soon\"")]
    [InlineData("Mesh:Proxy:HealthProbeMissesToFail", "0", "Mesh:Proxy:HealthProbeMissesToFail is \"0\"; expected a whole number of at least 1")]
    public void Invalid_values_are_refused_with_the_key_and_the_reason(string key, string value, string message)
    {
        var values = SidecarValues();
        values[key] = value;
        if (key.StartsWith("Mesh:Outbound:ratings", StringComparison.Ordinal))
        {
            values["Mesh:Outbound:ratings:Protocol"] = "http";
        }

        var error = Assert.Throws<ProxyConfigurationException>(() => Read(values));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Two_listeners_on_one_port_are_refused()
    {
        var values = SidecarValues();
        values["Mesh:Outbound:ratings:Port"] = values["Mesh:Inbound:Port"];

        var error = Assert.Throws<ProxyConfigurationException>(() => Read(values));
        Assert.Contains("Mesh:Inbound:Port and Mesh:Outbound:ratings:Port are both port 15001", error.Message);
    }

    [Fact]
    public void A_pod_sidecar_advertises_the_address_it_is_given_and_reads_its_health_port()
    {
        var values = SidecarValues();
        values["Mesh:Inbound:BindAddress"] = "0.0.0.0";
        values["Mesh:Inbound:AdvertiseAddress"] = "10.244.1.7";
        values["Mesh:Health:Port"] = "15021";

        var options = Read(values);

        Assert.Equal("10.244.1.7:15001", options.Inbound!.AdvertisedAddress);
        Assert.Equal(15021, options.HealthPort);
        Assert.Null(Read(SidecarValues()).HealthPort);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("my-pod")]
    public void An_advertised_address_peers_cannot_dial_is_refused(string address)
    {
        var values = SidecarValues();
        values["Mesh:Inbound:AdvertiseAddress"] = address;

        var error = Assert.Throws<ProxyConfigurationException>(() => Read(values));
        Assert.Contains($"Mesh:Inbound:AdvertiseAddress is \"{address}\"", error.Message);
    }

    [Fact]
    public void The_health_port_may_not_share_a_port_with_another_listener()
    {
        var values = SidecarValues();
        values["Mesh:Health:Port"] = values["Mesh:Inbound:Port"];

        var error = Assert.Throws<ProxyConfigurationException>(() => Read(values));
        Assert.Contains("are both port 15001", error.Message);
    }

    [Fact]
    public void Sidecar_values_and_defaults_are_read()
    {
        var values = SidecarValues();
        values["Mesh:Labels:version"] = "v1";
        values["Mesh:Outbound:ratings:Port"] = "15002";
        values["Mesh:Outbound:ratings:Protocol"] = "grpc";
        values["Mesh:Inbound:BindAddress"] = "0.0.0.0";

        var options = Read(values);

        Assert.Equal(ProxyMode.Sidecar, options.Mode);
        Assert.Equal("default", options.Namespace);
        Assert.Equal("v1", options.Labels["version"]);
        Assert.Equal(ServiceProtocol.Http, options.Inbound!.Protocol);
        Assert.Equal("/health", options.Inbound.AppHealthPath);
        Assert.Equal("127.0.0.1:15001", options.Inbound.AdvertisedAddress);
        Assert.Equal(new OutboundServiceOptions("ratings", 15002, ServiceProtocol.Grpc), Assert.Single(options.Outbound));
        Assert.Equal(TimeSpan.FromSeconds(1), options.Tuning.HealthProbeInterval);
        Assert.Equal(new[] { "ratings" }, options.UpstreamServices);
    }

    [Fact]
    public void A_tcp_service_takes_its_app_as_tcp_url_and_tcp_upstreams()
    {
        var values = SidecarValues();
        values["Mesh:Inbound:Protocol"] = "tcp";
        values["Mesh:App:Address"] = "tcp://localhost:5432";
        values["Mesh:Outbound:cache:Port"] = "15002";
        values["Mesh:Outbound:cache:Protocol"] = "TCP";

        var options = Read(values);

        Assert.Equal(ServiceProtocol.Tcp, options.Inbound!.Protocol);
        Assert.Equal(("localhost", 5432), (options.Inbound.AppAddress.Host, options.Inbound.AppAddress.Port));
        Assert.Equal(new OutboundServiceOptions("cache", 15002, ServiceProtocol.Tcp), Assert.Single(options.Outbound));

        // An HTTP service's app is still an http:// URL.
        values["Mesh:Inbound:Protocol"] = "http";
        Assert.Contains("expected an http:// URL", Assert.Throws<ProxyConfigurationException>(() => Read(values)).Message);
        values["Mesh:Inbound:Protocol"] = "tcp";
        values["Mesh:App:Address"] = "localhost:5432";
        Assert.Contains("expected tcp://host:port", Assert.Throws<ProxyConfigurationException>(() => Read(values)).Message);
    }

    [Fact]
    public void Gateway_route_table_is_named_by_its_logical_port_80_unless_set()
    {
        var values = new Dictionary<string, string?>
        {
            ["Mesh:Mode"] = "gateway",
            ["Mesh:ProxyId"] = "gw",
            ["Mesh:Service"] = "ingressgateway",
            ["Mesh:ControlPlane:Address"] = "http://127.0.0.1:15010",
            ["Mesh:Admin:Port"] = "15000",
            ["Mesh:Gateway:Port"] = "9080",
        };

        var options = Read(values);
        Assert.Equal("localhost", options.Gateway!.BindAddress);
        Assert.Equal("80", options.Gateway.RouteTableName);
        Assert.Empty(options.UpstreamServices);

        values["Mesh:Gateway:ServicePort"] = "8080";
        Assert.Equal("8080", Read(values).Gateway!.RouteTableName);

        values["Mesh:Gateway:ServicePort"] = "http";
        Assert.Contains("Mesh:Gateway:ServicePort", Assert.Throws<ProxyConfigurationException>(() => Read(values)).Message);
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
