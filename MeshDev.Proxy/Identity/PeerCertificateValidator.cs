using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// How a mesh peer's certificate is judged, on both sides of a connection: it must chain to the mesh's trust bundle
/// alone (no system roots, no revocation fetches: the mesh's certificates are short-lived instead) and name exactly
/// one SPIFFE ID.
/// </summary>
public static class PeerCertificateValidator
{
    /// <summary>The chain policy a handshake hands to SslStream: the trust bundle is the only root store.</summary>
    public static X509ChainPolicy ChainPolicy(X509Certificate2Collection trustBundle)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(trustBundle);
        return policy;
    }

    /// <summary>The verdict of SslStream's remote-certificate callback, in words for logs and stats.</summary>
    /// <param name="errors">SslStream's findings; a name mismatch is ignored, the SPIFFE ID stands for the name.</param>
    public static PeerVerification Verify(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return PeerVerification.Fail(PeerFailure.NoCertificate, "the peer presented no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            return PeerVerification.Fail(PeerFailure.UntrustedChain, DescribeChain(chain));
        }

        var peer = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        return SpiffeId.FromCertificate(peer) is { } id
            ? PeerVerification.Pass(id)
            : PeerVerification.Fail(PeerFailure.NoSpiffeId, $"the peer's certificate (subject \"{peer.Subject}\") has no single spiffe:// URI SAN");
    }

    /// <summary>Why <paramref name="certificate"/> does not chain to <paramref name="trustBundle"/> at <paramref name="at"/>; null when it does.</summary>
    public static string? ChainProblem(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection trustBundle, DateTimeOffset at)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicy(trustBundle) };
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        return chain.Build(certificate) ? null : DescribeChain(chain);
    }

    private static string DescribeChain(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status).Distinct().ToArray() ?? [];
        if (statuses.Length == 0)
        {
            return "the peer's certificate chain is not valid";
        }

        return string.Join("; ", statuses.Select(status => status switch
        {
            X509ChainStatusFlags.NotTimeValid => "the certificate has expired or is not yet valid",
            X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain => "the certificate is not issued by the mesh's trust bundle",
            X509ChainStatusFlags.NotSignatureValid => "a signature in the chain is not valid",
            X509ChainStatusFlags.NotValidForUsage => "the certificate is not valid for this use (extended key usage)",
            _ => status.ToString(),
        }));
    }
}

public enum PeerFailure
{
    None,
    NoCertificate,
    UntrustedChain,
    NoSpiffeId,
    /// <summary>A server whose SPIFFE ID is not the one the endpoint is known by (secure naming).</summary>
    WrongIdentity,
}

public sealed record PeerVerification(PeerFailure Failure, string? Reason, SpiffeId? Peer)
{
    public bool Passed => Failure == PeerFailure.None;

    public static PeerVerification Pass(SpiffeId peer) => new(PeerFailure.None, null, peer);

    public static PeerVerification Fail(PeerFailure failure, string reason) => new(failure, reason, null);
}
