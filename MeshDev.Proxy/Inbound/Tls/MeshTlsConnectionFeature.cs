using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace MeshDev.Proxy.Inbound.Tls;

/// <summary>
/// What the inbound mTLS handshake established, in the standard features Kestrel and ASP.NET Core read: the HTTP
/// layer picks HTTP/2 or HTTP/1.1 by the negotiated ALPN protocol, and HttpContext.Connection.ClientCertificate
/// is the peer's certificate.
/// </summary>
internal sealed class MeshTlsConnectionFeature(SslStream ssl, X509Certificate2 peerCertificate, SpiffeId peer)
    : ITlsConnectionFeature, ITlsApplicationProtocolFeature, ITlsHandshakeFeature, ISslStreamFeature, IMeshPeerFeature
{
    private string? _forwardedClientCertificate;

    public X509Certificate2? ClientCertificate
    {
        get => peerCertificate;
        set => throw new NotSupportedException("The peer's certificate is fixed by the handshake.");
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(peerCertificate);

    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = ssl.NegotiatedApplicationProtocol.Protocol;

    public SslProtocols Protocol => ssl.SslProtocol;

    public TlsCipherSuite? NegotiatedCipherSuite => ssl.NegotiatedCipherSuite;

    public string HostName => ssl.TargetHostName;

#pragma warning disable SYSLIB0058 // The interface still has the legacy algorithm properties.
    public CipherAlgorithmType CipherAlgorithm => ssl.CipherAlgorithm;
    public int CipherStrength => ssl.CipherStrength;
    public HashAlgorithmType HashAlgorithm => ssl.HashAlgorithm;
    public int HashStrength => ssl.HashStrength;
    public ExchangeAlgorithmType KeyExchangeAlgorithm => ssl.KeyExchangeAlgorithm;
    public int KeyExchangeStrength => ssl.KeyExchangeStrength;
#pragma warning restore SYSLIB0058

    public SslStream SslStream => ssl;

    public SpiffeId Peer => peer;

    /// <summary>Envoy's x-forwarded-client-cert element for this peer, made once per connection.</summary>
    public string ForwardedClientCertificate(SpiffeId local) => _forwardedClientCertificate ??=
        $"By={local};Hash={Convert.ToHexStringLower(SHA256.HashData(peerCertificate.RawData))};Subject=\"{peerCertificate.Subject.Replace("\"", "\\\"", StringComparison.Ordinal)}\";URI={peer}";
}

/// <summary>The SPIFFE ID an inbound connection's mTLS handshake proved; absent on plaintext connections.</summary>
public interface IMeshPeerFeature
{
    SpiffeId Peer { get; }

    string ForwardedClientCertificate(SpiffeId local);
}
