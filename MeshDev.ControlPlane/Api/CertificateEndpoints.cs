using System.Security.Cryptography.X509Certificates;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.ControlPlane.Certificates;
using MeshDev.Core.Api;

namespace MeshDev.ControlPlane.Api;

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
