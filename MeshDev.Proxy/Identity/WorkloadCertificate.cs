using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MeshDev.Core.Identity;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// One signed workload certificate with its private key, the chain the CA returned with it, and the trust bundle
/// that came along. Immutable: a renewal builds a new instance and swaps it in whole, so a handshake never pairs
/// one certificate with another's key or chain.
/// </summary>
public sealed class WorkloadCertificate
{
    private WorkloadCertificate(
        SpiffeId identity,
        X509Certificate2 leaf,
        X509Certificate2Collection intermediates,
        X509Certificate2Collection caTrustBundle,
        DateTimeOffset receivedAt,
        DateTimeOffset renewAt)
    {
        Identity = identity;
        Leaf = leaf;
        Intermediates = intermediates;
        CaTrustBundle = caTrustBundle;
        ReceivedAt = receivedAt;
        RenewAt = renewAt;
        NotBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        NotAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        SerialNumber = leaf.SerialNumber;
        // offline: the chain is what the CA sent; nothing is fetched. Both sides of every handshake use this context.
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    public SpiffeId Identity { get; }

    /// <summary>The workload certificate, with its private key.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>Certificates between the leaf and the root, leaf side first; usually none.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The roots the CA named with this certificate; a snapshot's trust bundle takes precedence.</summary>
    public X509Certificate2Collection CaTrustBundle { get; }

    public SslStreamCertificateContext Context { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    public string SerialNumber { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>When the proxy asks for the next one: half of the remaining lifetime, a little earlier by jitter.</summary>
    public DateTimeOffset RenewAt { get; }

    public bool IsValidAt(DateTimeOffset now) => now >= NotBefore && now < NotAfter;

    /// <summary>Leaf first, then the intermediates, as PEM.</summary>
    public string ChainPem()
    {
        var pem = new StringBuilder(Leaf.ExportCertificatePem()).Append('\n');
        foreach (var certificate in Intermediates)
        {
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        return pem.ToString();
    }

    /// <summary>
    /// Checks what the CA sent before the proxy relies on it: the leaf is for this key and this identity, and it
    /// chains to the trust bundle that came with it.
    /// </summary>
    /// <exception cref="CertificateResponseException">The response is unusable; the message says why.</exception>
    public static WorkloadCertificate FromSigned(
        ECDsa key,
        SpiffeId expected,
        IReadOnlyList<string> chainPem,
        IReadOnlyList<string> trustBundlePem,
        DateTimeOffset now,
        double renewJitter)
    {
        if (chainPem.Count == 0)
        {
            throw new CertificateResponseException("the CA's response has no certificate_chain_pem");
        }

        var certificates = chainPem.Select((pem, i) => CertificatePem.ParseOne(pem, $"certificate_chain_pem[{i}]")).ToArray();
        var trustBundle = CertificatePem.ParseBundle(trustBundlePem, "trust_bundle_pem")
            ?? throw new CertificateResponseException("the CA's response has no trust_bundle_pem");

        var signed = certificates[0];
        using (var publicKey = signed.GetECDsaPublicKey())
        {
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new CertificateResponseException("the certificate the CA returned is not for the key the proxy sent");
            }
        }

        var named = SpiffeId.FromCertificate(signed);
        if (named != expected)
        {
            throw new CertificateResponseException(
                $"the certificate the CA returned names {named?.ToString() ?? "no SPIFFE ID"}, not {expected}");
        }

        var intermediates = new X509Certificate2Collection(certificates.Skip(1).ToArray());
        if (PeerCertificateValidator.ChainProblem(signed, intermediates, trustBundle, now) is { } problem)
        {
            throw new CertificateResponseException($"the certificate the CA returned does not chain to its trust bundle: {problem}");
        }

        var leaf = signed.CopyWithPrivateKey(key);
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        var remaining = notAfter - now;
        var renewAt = now + remaining / 2 - remaining * (renewJitter * 0.05);
        return new WorkloadCertificate(expected, leaf, intermediates, trustBundle, now, renewAt);
    }
}

/// <summary>The CA answered, but with something the proxy cannot use as its certificate.</summary>
public sealed class CertificateResponseException(string message) : Exception(message);
