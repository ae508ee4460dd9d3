using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

/// <summary>DestinationRule trafficPolicy.tls: the mesh's own modes are accepted, certificates of one's own are not yet.</summary>
public sealed class ClientTlsValidationTests
{
    private static IReadOnlyList<ConfigMessage> Validate(string yaml)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        return parsed.HasErrors ? parsed.Messages : ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices);
    }

    private static string Rule(string tls, string subsetPolicy = "") => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy: {tls: {{tls}}}
          subsets:
          - name: v1
            labels: {version: v1}
            {{subsetPolicy}}
        """;

    [Theory]
    [InlineData("{mode: ISTIO_MUTUAL}")]
    [InlineData("{mode: DISABLE}")]
    [InlineData("{}")]
    public void The_meshs_own_modes_are_accepted(string tls) => Assert.DoesNotContain(Validate(Rule(tls)), m => m.IsError);

    [Theory]
    [InlineData("SIMPLE")]
    [InlineData("MUTUAL")]
    public void Modes_with_certificates_of_ones_own_are_refused_as_not_supported(string mode)
    {
        var error = Assert.Single(Validate(Rule($"{{mode: {mode}}}")), m => m.IsError);
        Assert.Equal("spec.trafficPolicy.tls.mode", error.Field);
        Assert.Contains(mode, error.Message, StringComparison.Ordinal);
        Assert.Contains(ConfigValidator.NotSupported, error.Message, StringComparison.Ordinal);
        Assert.Contains("ISTIO_MUTUAL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_mode_is_refused_listing_the_known_ones()
    {
        var error = Assert.Single(Validate(Rule("{mode: STRICT}")), m => m.IsError);
        Assert.Equal("spec.trafficPolicy.tls.mode", error.Field);
        Assert.Contains("'STRICT' is unknown", error.Message, StringComparison.Ordinal);
        Assert.Contains("ISTIO_MUTUAL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Own_certificate_fields_and_subset_tls_are_refused_by_name()
    {
        var messages = Validate(Rule("{mode: ISTIO_MUTUAL, sni: reviews.example, caCertificates: /etc/ca.pem}",
            "trafficPolicy: {tls: {mode: DISABLE}}")).Where(m => m.IsError).ToList();

        Assert.Equal(
            ["spec.subsets[0].trafficPolicy.tls", "spec.trafficPolicy.tls.caCertificates", "spec.trafficPolicy.tls.sni"],
            messages.Select(m => m.Field).Order(StringComparer.Ordinal));
        Assert.All(messages, m => Assert.Contains(ConfigValidator.NotSupported, m.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_tls_field_is_refused_by_the_parser()
    {
        var messages = Validate(Rule("{mode: ISTIO_MUTUAL, verifyPeer: true}"));
        Assert.Contains(messages, m => m.IsError && m.Message.Contains("unknown field 'verifyPeer'", StringComparison.Ordinal));
    }
}
