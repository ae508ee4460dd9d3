using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshDev.ControlPlane.Certificates;

public enum CaSource
{
    /// <summary>A root the control plane made on its first start and keeps in its data folder.</summary>
    Generated,

    /// <summary>A root or intermediate the user supplied (Mesh:ControlPlane:Certificates:CaCertificatePath and CaKeyPath).</summary>
    UserSupplied,
}

/// <summary>
/// The certificate that signs workload certificates (with its private key), the chain from it up to the root, and
/// the root that proxies trust. For a generated root the signer is the root itself.
/// </summary>
public sealed class SigningAuthority : IDisposable
{
    public SigningAuthority(X509Certificate2 signer, IReadOnlyList<X509Certificate2> chainAboveSigner, CaSource source, string certificatePath)
    {
        if (!signer.HasPrivateKey)
        {
            throw new ArgumentException("The signing certificate needs its private key.", nameof(signer));
        }

        Signer = signer;
        Source = source;
        CertificatePath = certificatePath;
        Root = chainAboveSigner.Count > 0 ? chainAboveSigner[^1] : signer;
        // What a proxy sends after its leaf: the signer and every intermediate, not the root (peers have it already).
        IntermediatesPem = IsSelfSigned(signer)
            ? []
            : [signer.ExportCertificatePem(), .. chainAboveSigner.Where(c => !IsSelfSigned(c)).Select(c => c.ExportCertificatePem())];
        RootPem = Root.ExportCertificatePem();
        SignatureGenerator = CreateSignatureGenerator();
    }

    public X509Certificate2 Signer { get; }

    public X509Certificate2 Root { get; }

    public CaSource Source { get; }

    /// <summary>The file the signer's certificate was read from.</summary>
    public string CertificatePath { get; }

    /// <summary>PEM of the intermediates from the signer up to, not including, the root; empty when the root signs.</summary>
    public IReadOnlyList<string> IntermediatesPem { get; }

    public string RootPem { get; }

    /// <summary>One generator over the signer's key for the CA's lifetime; signing with it is safe from many threads.</summary>
    public X509SignatureGenerator SignatureGenerator { get; }

    private AsymmetricAlgorithm? _signingKey;

    private X509SignatureGenerator CreateSignatureGenerator()
    {
        if (Signer.GetECDsaPrivateKey() is { } ecdsa)
        {
            _signingKey = ecdsa;
            return X509SignatureGenerator.CreateForECDsa(ecdsa);
        }

        if (Signer.GetRSAPrivateKey() is { } rsa)
        {
            _signingKey = rsa;
            return X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1);
        }

        throw new InvalidOperationException($"The CA certificate '{Signer.Subject}' has neither an ECDSA nor an RSA key.");
    }

    /// <summary>SHA-384 for a P-384 or larger signer, SHA-256 otherwise, as is usual for the curve or key size.</summary>
    public HashAlgorithmName HashAlgorithm => _signingKey is ECDsa { KeySize: > 256 } ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public static bool IsSelfSigned(X509Certificate2 certificate) => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    public void Dispose()
    {
        _signingKey?.Dispose();
        Signer.Dispose();
        if (!ReferenceEquals(Root, Signer))
        {
            Root.Dispose();
        }
    }
}
