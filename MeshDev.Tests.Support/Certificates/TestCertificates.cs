using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.Tests.Certificates;

/// <summary>CSRs as a proxy makes them, and CA certificates as a user would bring them, for the CA's tests.</summary>
public static class TestCertificates
{
    public static string Csr(ECDsa key, params string[] uris)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var uri in uris)
            {
                san.AddUri(new Uri(uri));
            }
            request.CertificateExtensions.Add(san.Build(critical: true));
        }
        return request.CreateSigningRequestPem();
    }

    public static string Csr(ECDsa key, SpiffeId identity) => Csr(key, identity.ToString());

    /// <summary>A self-signed root or, with <paramref name="issuer"/>, an intermediate CA it signs.</summary>
    public static X509Certificate2 CreateCa(string commonName, ECDsa key, X509Certificate2? issuer = null, bool isCa = true)
    {
        var request = new CertificateRequest($"CN={commonName}, O=MeshDev tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            isCa ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var signed = request.Create(issuer, now.AddDays(-1), now.AddYears(2), RandomNumberGenerator.GetBytes(12));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>The base64 body of a PEM file: what must never leave the file.</summary>
    public static string PemBody(string pem) =>
        string.Concat(pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));

    public static X509Certificate2 FromPem(string pem) => X509Certificate2.CreateFromPem(pem);

    /// <summary>Whether <paramref name="leaf"/> chains to <paramref name="root"/> alone (through <paramref name="intermediates"/>).</summary>
    public static (bool Valid, string Problems) Verify(X509Certificate2 leaf, X509Certificate2 root, params X509Certificate2[] intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        var valid = chain.Build(leaf);
        return (valid, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }
}
