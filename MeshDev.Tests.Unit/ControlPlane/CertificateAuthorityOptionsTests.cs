using MeshDev.ControlPlane.Certificates;
using MeshDev.Core;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.ControlPlane;

public sealed class CertificateAuthorityOptionsTests
{
    private static CertificateAuthorityOptions Read(params (string Key, string Value)[] settings) =>
        CertificateAuthorityOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build());

    [Fact]
    public void Defaults_are_a_day_cluster_local_and_a_per_user_folder()
    {
        var options = Read();

        Assert.Equal(TimeSpan.FromHours(24), options.Lifetime);
        Assert.Equal("cluster.local", options.TrustDomain);
        Assert.Equal(CertificateAuthorityOptions.DefaultDataDirectory(), options.DataDirectory);
        Assert.EndsWith(Path.Combine("MeshDev", "ControlPlane"), options.DataDirectory);
        Assert.Null(options.CaCertificatePath);
        Assert.Null(options.BootstrapKey);
    }

    [Theory]
    [InlineData("00:00:04")]
    [InlineData("4.9")]
    public void A_lifetime_under_five_seconds_is_refused_naming_the_key(string lifetime)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((MeshEnvironment.ControlPlane.CertificateLifetime, lifetime)));
        Assert.Contains(MeshEnvironment.ControlPlane.CertificateLifetime, error.Message);
        Assert.Contains(lifetime, error.Message);
    }

    [Fact]
    public void A_short_bootstrap_key_is_refused_without_showing_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((MeshEnvironment.ControlPlane.BootstrapKey, "hunter2-secret")));
        Assert.Contains(MeshEnvironment.ControlPlane.BootstrapKey, error.Message);
        Assert.DoesNotContain("hunter2-secret", error.Message);
    }

    [Fact]
    public void A_trust_domain_with_a_slash_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((MeshEnvironment.ControlPlane.TrustDomain, "cluster.local/x")));
        Assert.Contains("cluster.local/x", error.Message);
    }

    [Fact]
    public void Relative_paths_are_made_absolute()
    {
        var options = Read(
            (MeshEnvironment.ControlPlane.DataDirectory, "state"),
            (MeshEnvironment.ControlPlane.CaCertificatePath, "ca/cert.pem"),
            (MeshEnvironment.ControlPlane.CaKeyPath, "ca/key.pem"));

        Assert.Equal(Path.GetFullPath("state"), options.DataDirectory);
        Assert.Equal(Path.GetFullPath("ca/cert.pem"), options.CaCertificatePath);
        Assert.Equal(Path.GetFullPath("ca/key.pem"), options.CaKeyPath);
    }
}
