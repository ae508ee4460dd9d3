using MeshDev.ControlPlane;
using MeshDev.Core;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.ControlPlane;

public sealed class ControlPlaneOptionsTests
{
    private static ControlPlaneOptions Read(params (string Key, string Value)[] settings) =>
        ControlPlaneOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build());

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = Read();

        Assert.Equal(15080, options.HttpPort);
        Assert.Equal(15010, options.GrpcPort);
        Assert.Equal("localhost", options.BindAddress);
        Assert.Equal(TimeSpan.FromSeconds(10), options.DisconnectGracePeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.PushDebounce);
        Assert.Empty(options.AllowedHosts);
    }

    [Theory]
    [InlineData("00:00:10", 10_000)]
    [InlineData("10", 10_000)]
    [InlineData("0.25", 250)]
    [InlineData("00:00:00.250", 250)]
    public void Durations_AcceptTimeSpansAndSeconds(string text, int expectedMilliseconds)
    {
        var options = Read((MeshEnvironment.ControlPlane.DisconnectGracePeriod, text), (MeshEnvironment.ControlPlane.PushDebounce, text));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), options.DisconnectGracePeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), options.PushDebounce);
    }

    [Theory]
    [InlineData(MeshEnvironment.ControlPlane.DisconnectGracePeriod, "ten seconds")]
    [InlineData(MeshEnvironment.ControlPlane.PushDebounce, "-1")]
    [InlineData(MeshEnvironment.ControlPlane.HttpPort, "70000")]
    [InlineData(MeshEnvironment.ControlPlane.GrpcPort, "http")]
    [InlineData(MeshEnvironment.ControlPlane.AllowedHosts, "http://evil.example")]
    [InlineData(MeshEnvironment.ControlPlane.AllowedHosts, "*.example")]
    public void BadValues_AreRefusedNamingTheKey(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((key, value)));

        Assert.Contains(key, error.Message);
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public void AllowedHosts_AreTheKubernetesOutputsCommaSeparatedServiceNames()
    {
        var options = Read((MeshEnvironment.ControlPlane.AllowedHosts,
            "meshdev-controlplane,meshdev-controlplane.default, meshdev-controlplane.default.svc,meshdev-controlplane.default.svc.cluster.local"));

        Assert.Equal(["meshdev-controlplane", "meshdev-controlplane.default", "meshdev-controlplane.default.svc", "meshdev-controlplane.default.svc.cluster.local"],
            options.AllowedHosts);
    }
}
