using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>
/// A proxy's PKCS#10 request, read and checked: its self-signature verifies (the proxy holds the key it asks a
/// certificate for), its key is one the mesh's TLS accepts, and it asks for exactly one URI SAN, a SPIFFE ID.
/// Only the public key and that ID are used; nothing else in the request reaches the certificate.
/// </summary>
public sealed record WorkloadCertificateRequest(PublicKey PublicKey, SpiffeId Identity)
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    public static bool TryRead(string? pem, out WorkloadCertificateRequest? request, out string? error)
    {
        request = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            error = "csr_pem is empty";
            return false;
        }

        CertificateRequest csr;
        try
        {
            // Extensions are read only to find the SAN the proxy asks for; the CA writes the certificate's own.
            csr = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException ex)
        {
            error = $"csr_pem is not a PKCS#10 request whose signature verifies ({ex.Message})";
            return false;
        }

        if (KeyProblem(csr.PublicKey) is { } keyProblem)
        {
            error = keyProblem;
            return false;
        }

        var sans = csr.CertificateExtensions.Where(e => e.Oid?.Value == SubjectAlternativeNameOid).ToList();
        if (sans.Count != 1)
        {
            error = $"the CSR has {sans.Count} subjectAltName extensions; it needs exactly one, holding the workload's SPIFFE ID as its only URI";
            return false;
        }

        IReadOnlyList<string> uris;
        try
        {
            uris = SpiffeId.UriSubjectAlternativeNames(sans[0]);
        }
        catch (Exception ex) when (ex is CryptographicException or System.Formats.Asn1.AsnContentException)
        {
            error = $"the CSR's subjectAltName extension is not valid DER ({ex.Message})";
            return false;
        }

        if (uris.Count != 1)
        {
            error = $"the CSR names {uris.Count} URI SANs ({string.Join(", ", uris)}); it needs exactly one, the workload's SPIFFE ID";
            return false;
        }

        if (!SpiffeId.TryParse(uris[0], out var identity))
        {
            error = $"the CSR's URI SAN '{uris[0]}' is not a SPIFFE ID of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>";
            return false;
        }

        request = new WorkloadCertificateRequest(csr.PublicKey, identity);
        error = null;
        return true;
    }

    private static string? KeyProblem(PublicKey key)
    {
        if (key.GetECDsaPublicKey() is { } ecdsa)
        {
            using (ecdsa)
            {
                return ecdsa.KeySize is 256 or 384 or 521 ? null
                    : $"the CSR's ECDSA key has {ecdsa.KeySize} bits; MeshDev signs P-256, P-384 and P-521 keys";
            }
        }

        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.KeySize >= 2048 ? null : $"the CSR's RSA key has {rsa.KeySize} bits; MeshDev signs RSA keys of 2048 bits or more";
            }
        }

        return $"the CSR's key is {key.Oid.FriendlyName ?? key.Oid.Value}; MeshDev signs ECDSA and RSA keys";
    }
}
