using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>A CA that cannot be used as configured; the message names the file and what is wrong with it.</summary>
public sealed class CertificateAuthorityException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads a CA certificate (a root, or an intermediate followed by its chain up to the root) and its private key from
/// PEM files, and checks that together they can sign workload certificates that chain to that root.
/// </summary>
public static class CaCertificateLoader
{
    public static SigningAuthority Load(string certificatePath, string keyPath, CaSource source, DateTimeOffset now)
    {
        var certificates = ReadCertificates(certificatePath);
        var signer = certificates[0];
        var chain = certificates.Skip(1).ToList();

        CheckIsCa(signer, certificatePath);
        if (signer.NotAfter.ToUniversalTime() <= now.UtcDateTime)
        {
            throw new CertificateAuthorityException(
                $"The CA certificate in '{certificatePath}' ('{signer.Subject}') expired on {signer.NotAfter.ToUniversalTime():u}; supply a current one.");
        }

        foreach (var above in chain)
        {
            CheckIsCa(above, certificatePath);
        }

        var root = chain.Count > 0 ? chain[^1] : signer;
        if (!SigningAuthority.IsSelfSigned(root))
        {
            throw new CertificateAuthorityException(
                $"The chain in '{certificatePath}' ends with '{root.Subject}', which is not a root (it is issued by '{root.Issuer}'). " +
                "An intermediate's file holds the intermediate first, then every certificate above it up to and including the root.");
        }

        CheckChain(signer, chain, certificatePath, now);
        var withKey = AttachKey(signer, keyPath, certificatePath);
        return new SigningAuthority(withKey, chain, source, certificatePath);
    }

    private static List<X509Certificate2> ReadCertificates(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateAuthorityException($"Cannot read the CA certificate file '{path}': {ex.Message}", ex);
        }

        var certificates = new List<X509Certificate2>();
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            if (label == "CERTIFICATE")
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest.Span[fields.Base64Data].ToString())));
                }
                catch (CryptographicException ex)
                {
                    throw new CertificateAuthorityException(
                        $"Certificate {certificates.Count + 1} in '{path}' is not a valid X.509 certificate: {ex.Message}", ex);
                }
            }
            else if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new CertificateAuthorityException(
                    $"'{path}' holds a private key; the CA certificate file holds certificates only. Put the key in its own file " +
                    "(Mesh:ControlPlane:Certificates:CaKeyPath).");
            }

            rest = rest[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            throw new CertificateAuthorityException($"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return certificates;
    }

    private static void CheckIsCa(X509Certificate2 certificate, string path)
    {
        var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (constraints is not { CertificateAuthority: true })
        {
            throw new CertificateAuthorityException(
                $"The certificate '{certificate.Subject}' in '{path}' is not a CA certificate (basic constraints CA:true is missing), so it cannot sign certificates.");
        }

        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            throw new CertificateAuthorityException(
                $"The certificate '{certificate.Subject}' in '{path}' has a key usage without keyCertSign ({usage.KeyUsages}), so it cannot sign certificates.");
        }
    }

    private static void CheckChain(X509Certificate2 signer, List<X509Certificate2> above, string path, DateTimeOffset now)
    {
        if (above.Count == 0)
        {
            return;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.CustomTrustStore.Add(above[^1]);
        chain.ChainPolicy.ExtraStore.AddRange(above.ToArray());
        if (!chain.Build(signer))
        {
            var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            throw new CertificateAuthorityException(
                $"The CA certificate '{signer.Subject}' in '{path}' does not chain to the root '{above[^1].Subject}' in the same file: " +
                $"{string.Join("; ", problems)}");
        }
    }

    private static X509Certificate2 AttachKey(X509Certificate2 certificate, string keyPath, string certificatePath)
    {
        string text;
        try
        {
            text = File.ReadAllText(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateAuthorityException($"Cannot read the CA private key file '{keyPath}': {ex.Message}", ex);
        }

        if (text.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new CertificateAuthorityException(
                $"The CA private key in '{keyPath}' is encrypted; MeshDev reads an unencrypted PEM key (protect the file with its permissions).");
        }

        AsymmetricAlgorithm key;
        try
        {
            key = certificate.GetECDsaPublicKey() is not null ? ECDsa.Create()
                : certificate.GetRSAPublicKey() is not null ? RSA.Create()
                : throw new CertificateAuthorityException(
                    $"The CA certificate in '{certificatePath}' has a {certificate.PublicKey.Oid.FriendlyName} key; MeshDev signs with ECDSA or RSA keys.");
            key.ImportFromPem(text);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            // ImportFromPem's messages say what it looked for, never the key material.
            throw new CertificateAuthorityException(
                $"'{keyPath}' holds no private key of the CA certificate's type ({certificate.PublicKey.Oid.FriendlyName}): {ex.Message}", ex);
        }

        using (key)
        {
            if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
            {
                throw new CertificateAuthorityException(
                    $"The private key in '{keyPath}' does not belong to the CA certificate '{certificate.Subject}' in '{certificatePath}'.");
            }

            return key switch
            {
                ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                _ => throw new UnreachableException(),
            };
        }
    }
}
