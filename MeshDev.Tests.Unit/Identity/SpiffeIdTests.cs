using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.Tests.Identity;

public sealed class SpiffeIdTests
{
    [Fact]
    public void Parses_the_workload_form_and_gives_the_policy_principal()
    {
        var id = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bookinfo-reviews");
        Assert.Equal(new SpiffeId("cluster.local", "default", "bookinfo-reviews"), id);
        Assert.Equal("cluster.local/ns/default/sa/bookinfo-reviews", id.Principal);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", id.ToString());
    }

    [Theory]
    [InlineData("cluster.local/ns/default/sa/x")]
    [InlineData("spiffe://cluster.local/ns/default")]
    [InlineData("spiffe://cluster.local/sa/default/ns/x")]
    [InlineData("spiffe://cluster.local/ns//sa/x")]
    [InlineData("https://cluster.local/ns/default/sa/x")]
    public void Refuses_anything_else(string value)
    {
        Assert.False(SpiffeId.TryParse(value, out _));
        var error = Assert.Throws<FormatException>(() => SpiffeId.Parse(value));
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public void Reads_the_uri_san_of_a_certificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=reviews", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("reviews.default.svc");
        san.AddUri(new Uri("spiffe://cluster.local/ns/default/sa/reviews"));
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal(["spiffe://cluster.local/ns/default/sa/reviews"], SpiffeId.UriSubjectAlternativeNames(certificate));
        Assert.Equal(new SpiffeId("cluster.local", "default", "reviews"), SpiffeId.FromCertificate(certificate));
    }

    [Fact]
    public void A_certificate_without_a_uri_san_has_no_identity()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=plain", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Null(SpiffeId.FromCertificate(certificate));
        Assert.Null(SpiffeId.FromCertificate(null));
    }
}
