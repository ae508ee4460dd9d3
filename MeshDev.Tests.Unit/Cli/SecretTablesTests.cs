using System.Text.Json.Nodes;
using MeshDev.Cli.Output;

namespace MeshDev.Tests.Cli;

/// <summary>The states `proxy-config secret` gives each certificate, judged at the time meshctl runs.</summary>
public sealed class SecretTablesTests
{
    [Fact]
    public void Each_certificate_is_valid_expired_or_not_yet_valid_at_the_time_of_the_run()
    {
        var now = new DateTimeOffset(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);
        var certs = JsonNode.Parse("""
            {"identity": "spiffe://cluster.local/ns/default/sa/reviews", "state": "expired",
             "certificateChain": [
               {"issuer": "CN=Intermediate", "uriSans": ["spiffe://cluster.local/ns/default/sa/reviews"], "serialNumber": "01",
                "notBefore": "2026-05-04T10:00:00+00:00", "notAfter": "2026-05-04T11:00:00+00:00"},
               {"issuer": "CN=Root", "uriSans": [], "serialNumber": "02",
                "notBefore": "2026-05-05T00:00:00+00:00", "notAfter": "2027-05-05T00:00:00+00:00"}],
             "trustBundle": {"source": "ca", "certificates": [
               {"issuer": "CN=Root", "uriSans": [], "serialNumber": "03",
                "notBefore": "2026-01-01T00:00:00.5+00:00", "notAfter": "2036-01-01T00:00:00+00:00"}]}}
            """)!.AsObject();

        var output = new StringWriter();
        SecretTables.Secrets(certs, now).WriteTo(output);
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(MeshctlTable.Columns).ToArray();

        Assert.Equal(
            [
                ["default", "Cert Chain", "EXPIRED", "spiffe://cluster.local/ns/default/sa/reviews", "01", "2026-05-04T10:00:00Z", "2026-05-04T11:00:00Z", "CN=Intermediate"],
                ["default", "Intermediate", "NOT YET VALID", "-", "02", "2026-05-05T00:00:00Z", "2027-05-05T00:00:00Z", "CN=Root"],
                ["ROOTCA", "CA", "VALID", "-", "03", "2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", "CN=Root"],
            ],
            rows);
        Assert.Null(SecretTables.Note("reviews-v1", certs));
    }
}
