using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MeshDev.Core.Identity;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Identity;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// /certs: the workload certificate in force and the roots peers are checked against; never the private key.
/// Shape: {"identity": "spiffe://…"|null, "mtls": bool, "state": "disabled"|"pending"|"valid"|"expired",
/// "renewAt"?, "lastError"?, "nextAttemptAt"?, "chainPem"?, "certificateChain": [certificate],
/// "trustBundle": {"source": "snapshot"|"ca"|null, "certificates": [certificate]}}, where certificate is
/// {"subject", "issuer", "uriSans": [..], "serialNumber", "notBefore", "notAfter", "pem"}.
/// </summary>
public static class CertificatesWriter
{
    public static byte[] Write(WorkloadCertificateStore? store, RuntimeSnapshot snapshot, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, AdminJson.Indented))
        {
            json.WriteStartObject();
            var certificate = store?.Current;
            if (store is null)
            {
                json.WriteNull("identity");
                json.WriteBoolean("mtls", false);
                json.WriteString("state", "disabled");
            }
            else
            {
                json.WriteString("identity", store.Identity.Id.ToString());
                json.WriteBoolean("mtls", true);
                json.WriteString("state", certificate is null ? "pending" : certificate.IsValidAt(now) ? "valid" : "expired");
                if (certificate is not null)
                {
                    json.WriteString("renewAt", certificate.RenewAt);
                }

                var status = store.Status;
                if (status.LastError is { } error)
                {
                    json.WriteString("lastError", error);
                    json.WriteNumber("consecutiveFailures", status.ConsecutiveFailures);
                }

                if (status.NextAttemptAt is { } next)
                {
                    json.WriteString("nextAttemptAt", next);
                }
            }

            if (certificate is not null)
            {
                json.WriteString("chainPem", certificate.ChainPem());
            }

            json.WriteStartArray("certificateChain");
            if (certificate is not null)
            {
                WriteCertificate(json, certificate.Leaf);
                foreach (var intermediate in certificate.Intermediates)
                {
                    WriteCertificate(json, intermediate);
                }
            }

            json.WriteEndArray();

            json.WriteStartObject("trustBundle");
            var bundle = MeshTrust.Anchors(snapshot, certificate);
            if (bundle is null)
            {
                json.WriteNull("source");
            }
            else
            {
                json.WriteString("source", snapshot.Security.TrustBundle is not null ? "snapshot" : "ca");
            }

            json.WriteStartArray("certificates");
            foreach (var root in bundle ?? [])
            {
                WriteCertificate(json, root);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteCertificate(Utf8JsonWriter json, X509Certificate2 certificate)
    {
        json.WriteStartObject();
        json.WriteString("subject", certificate.Subject);
        json.WriteString("issuer", certificate.Issuer);
        json.WriteStartArray("uriSans");
        foreach (var uri in SpiffeId.UriSubjectAlternativeNames(certificate))
        {
            json.WriteStringValue(uri);
        }

        json.WriteEndArray();
        json.WriteString("serialNumber", certificate.SerialNumber);
        json.WriteString("notBefore", new DateTimeOffset(certificate.NotBefore.ToUniversalTime()));
        json.WriteString("notAfter", new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
        // The public certificate only: ExportCertificatePem never includes a private key.
        json.WriteString("pem", certificate.ExportCertificatePem());
        json.WriteEndObject();
    }
}
