using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
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
    public static byte[] Write(WorkloadCertificateStore? store, RuntimeSnapshot snapshot, DateTimeOffset now) =>
        AdminJson.Serialize(CertificatesJson.From(store, snapshot, now), AdminJsonContext.Default.CertificatesJson, AdminJson.Indented);
}

public sealed record CertificatesJson(
    string? Identity,
    bool Mtls,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RenewAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ConsecutiveFailures,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? NextAttemptAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ChainPem,
    IReadOnlyList<CertificateJson> CertificateChain,
    TrustBundleJson TrustBundle)
{
    public static CertificatesJson From(WorkloadCertificateStore? store, RuntimeSnapshot snapshot, DateTimeOffset now)
    {
        var certificate = store?.Current;
        var status = store?.Status;
        var bundle = MeshTrust.Anchors(snapshot, certificate);
        return new CertificatesJson(
            store?.Identity.Id.ToString(),
            store is not null,
            store is null ? "disabled" : certificate is null ? "pending" : certificate.IsValidAt(now) ? "valid" : "expired",
            certificate?.RenewAt,
            status?.LastError,
            status?.LastError is null ? null : status.ConsecutiveFailures,
            status?.NextAttemptAt,
            certificate?.ChainPem(),
            certificate is null ? [] : [CertificateJson.From(certificate.Leaf), .. certificate.Intermediates.Select(CertificateJson.From)],
            new TrustBundleJson(
                bundle is null ? null : snapshot.Security.TrustBundle is not null ? "snapshot" : "ca",
                [.. (bundle ?? []).Select(CertificateJson.From)]));
    }
}

public sealed record CertificateJson(
    string Subject, string Issuer, IReadOnlyList<string> UriSans, string SerialNumber, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Pem)
{
    public static CertificateJson From(X509Certificate2 certificate) => new(
        certificate.Subject,
        certificate.Issuer,
        [.. SpiffeId.UriSubjectAlternativeNames(certificate)],
        certificate.SerialNumber,
        new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
        // The public certificate only: ExportCertificatePem never includes a private key.
        certificate.ExportCertificatePem());
}

public sealed record TrustBundleJson(string? Source, IReadOnlyList<CertificateJson> Certificates);
