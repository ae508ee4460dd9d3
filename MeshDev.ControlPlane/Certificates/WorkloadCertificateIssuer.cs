using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>
/// Signs workload certificates as Istio's CA shapes them: an empty subject, the SPIFFE ID as the only (critical)
/// URI SAN, not a CA, serverAuth and clientAuth (a sidecar is server inbound and client outbound), a random serial,
/// and notBefore a minute in the past so a peer whose clock lags accepts a certificate issued just now.
/// </summary>
public sealed class WorkloadCertificateIssuer(SigningAuthority authority)
{
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(1);

    private static readonly OidCollection ServerAndClientAuth = [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")];

    // The same for every certificate this signer issues: computed once.
    private readonly X509AuthorityKeyIdentifierExtension _authorityKeyIdentifier =
        X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority.Signer, includeKeyIdentifier: true, includeIssuerAndSerial: false);

    public X509Certificate2 Issue(PublicKey publicKey, SpiffeId identity, TimeSpan lifetime, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), publicKey, authority.HashAlgorithm);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(identity.ToUri());
        // RFC 5280: with an empty subject the SAN extension is critical.
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        // keyEncipherment matters only for RSA key exchange; an EC key never enciphers.
        var usage = X509KeyUsageFlags.DigitalSignature | (publicKey.GetRSAPublicKey() is null ? 0 : X509KeyUsageFlags.KeyEncipherment);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ServerAndClientAuth, critical: false));
        request.CertificateExtensions.Add(_authorityKeyIdentifier);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, critical: false));

        var notBefore = now - ClockSkewAllowance;
        var notAfter = now + lifetime;
        // A certificate never outlives the CA that signs it.
        var signerNotAfter = new DateTimeOffset(authority.Signer.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > signerNotAfter)
        {
            notAfter = signerNotAfter;
        }

        return request.Create(authority.Signer.SubjectName, authority.SignatureGenerator, notBefore, notAfter, NewSerialNumber());
    }

    /// <summary>128 random bits, positive as DER wants it (RFC 5280 allows up to 20 octets).</summary>
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }
}
