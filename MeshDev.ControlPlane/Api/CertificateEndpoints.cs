using System.Security.Cryptography.X509Certificates;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.ControlPlane.Certificates;

namespace MeshDev.ControlPlane.Api;

// The JSON shapes of /api/v1/ca and /api/v1/certificates (camelCase on the wire). Public material only: no private
// key is ever part of them.

public sealed record CaResponse(
    string TrustDomain,
    CaCertificateResponse Root,
    // The certificate that signs workload certificates: the root itself, or a user-supplied intermediate.
    CaCertificateResponse Signer,
    string Source,
    long Signed,
    long Refused,
    CaRefusalsResponse RefusedBy);

public sealed record CaCertificateResponse(string Subject, string SerialNumber, DateTimeOffset NotAfter, string Sha256Fingerprint, string Pem);

public sealed record CaRefusalsResponse(long Unauthenticated, long PermissionDenied, long InvalidRequest);

public sealed record IssuedCertificateResponse(
    string Identity,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string ProxyId,
    DateTimeOffset IssuedAt,
    long IssuedCount);

public static class CertificateEndpoints
{
    public static IEndpointRouteBuilder MapCertificateApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/ca", (CertificateAuthority ca) => TypedResults.Ok(Describe(ca))).RequireApiToken();
        api.MapGet("/certificates", (CertificateAuthority ca) => TypedResults.Ok(ca.Issued.Latest()
            .Select(c => new IssuedCertificateResponse(c.Identity, c.SerialNumber, c.NotBefore, c.NotAfter, c.ProxyId, c.IssuedAt, c.IssuedCount))
            .ToList())).RequireApiToken();
        return api;
    }

    public static CaResponse Describe(CertificateAuthority ca) => new(
        ca.TrustDomain,
        DescribeCertificate(ca.Authority.Root),
        DescribeCertificate(ca.Authority.Signer),
        ca.Authority.Source == CaSource.Generated ? "generated" : "user-supplied",
        ca.Stats.Signed,
        ca.Stats.Refused,
        new CaRefusalsResponse(ca.Stats.RefusedUnauthenticated, ca.Stats.RefusedPermissionDenied, ca.Stats.RefusedInvalid));

    private static CaCertificateResponse DescribeCertificate(X509Certificate2 certificate) => new(
        certificate.Subject,
        certificate.SerialNumber,
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
        CertificateAuthority.Fingerprint(certificate),
        // Exported from the public part only: a certificate's PEM never carries its key.
        certificate.ExportCertificatePem());
}
