using System.Globalization;
using System.Text.Json.Nodes;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Output;

/// <summary>
/// The tables of `proxy-config secret` and `ca`, in istioctl's terms: the workload chain is the secret "default"
/// (type "Cert Chain", an intermediate as "Intermediate"), each root of the trust bundle is "ROOTCA" (type "CA").
/// </summary>
public static class SecretTables
{
    public static Table Secrets(JsonObject certs, DateTimeOffset now)
    {
        var table = new Table("RESOURCE NAME", "TYPE", "STATE", "IDENTITY", "SERIAL NUMBER", "NOT BEFORE", "NOT AFTER", "ISSUER");
        var chain = (certs["certificateChain"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (chain.Count == 0 && (string?)certs["state"] == "pending")
        {
            table.Add("default", "Cert Chain", "PENDING", (string?)certs["identity"], null, null, null, null);
        }

        for (var i = 0; i < chain.Count; i++)
        {
            Add(table, "default", i == 0 ? "Cert Chain" : "Intermediate", chain[i], now);
        }

        foreach (var root in (certs["trustBundle"]?["certificates"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Add(table, "ROOTCA", "CA", root, now);
        }

        return table;
    }

    /// <summary>What a reader of the table should know beyond it: no identity at all, or why there is no certificate yet.</summary>
    public static string? Note(string proxyId, JsonObject certs) => (string?)certs["state"] switch
    {
        "disabled" => $"proxy '{proxyId}' has no workload identity (no bootstrap token): it has no certificate and speaks plaintext only",
        "pending" or "expired" when (string?)certs["lastError"] is { } error => $"proxy '{proxyId}' has no valid certificate yet; the CA said: {error}",
        _ => null,
    };

    public static Table Authority(CaResponse ca)
    {
        var table = new Table("TRUST DOMAIN", "SOURCE", "ROOT", "SERIAL NUMBER", "NOT AFTER", "SIGNED", "REFUSED");
        table.Add(ca.TrustDomain, ca.Source, ca.Root.Subject, ca.Root.SerialNumber, Time(ca.Root.NotAfter), Number(ca.Signed), Number(ca.Refused));
        return table;
    }

    public static Table Issued(IEnumerable<IssuedCertificateResponse> certificates)
    {
        var table = new Table("PROXY", "IDENTITY", "SERIAL NUMBER", "NOT BEFORE", "NOT AFTER", "ISSUED AT", "ISSUED");
        foreach (var certificate in certificates)
        {
            table.Add(certificate.ProxyId, certificate.Identity, certificate.SerialNumber,
                Time(certificate.NotBefore), Time(certificate.NotAfter), Time(certificate.IssuedAt), Number(certificate.IssuedCount));
        }

        return table;
    }

    private static void Add(Table table, string name, string type, JsonObject certificate, DateTimeOffset now)
    {
        var notBefore = Parse(certificate["notBefore"]);
        var notAfter = Parse(certificate["notAfter"]);
        var state = notBefore is null || notAfter is null ? null
            : now < notBefore ? "NOT YET VALID"
            : now >= notAfter ? "EXPIRED"
            : "VALID";
        var identity = string.Join(",", (certificate["uriSans"] as JsonArray ?? []).Select(u => (string?)u).OfType<string>());
        table.Add(name, type, state, identity, (string?)certificate["serialNumber"], Time(certificate["notBefore"]), Time(certificate["notAfter"]),
            (string?)certificate["issuer"]);
    }

    private static DateTimeOffset? Parse(JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;

    /// <summary>UTC to the second: what a reader compares, without the offset and fractions the JSON carries.</summary>
    private static string? Time(JsonNode? value) => Parse(value) is { } time ? Time(time) : null;

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Number(long number) => number.ToString(CultureInfo.InvariantCulture);
}
