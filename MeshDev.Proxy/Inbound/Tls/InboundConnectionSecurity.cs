using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Identity;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Telemetry;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using MeshDev.Proxy.Listeners;

namespace MeshDev.Proxy.Inbound.Tls;

/// <summary>
/// The inbound listener's connection middleware, PeerAuthentication in Envoy's place: it looks at the first byte of
/// each connection (0x16 opens a TLS handshake) and, by the mode the current snapshot sets for the service port,
/// terminates mTLS with the current workload certificate, passes plaintext through, or closes the connection.
/// The handshake is done here rather than by Kestrel's HTTPS middleware because one port takes both kinds. It runs in
/// front of the HTTP layer on an HTTP service's listener and in front of the relay on a TCP service's.
/// </summary>
public sealed class InboundConnectionSecurity : IConnectionSecurity
{
    private const byte TlsHandshakeRecord = 0x16;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly ISnapshotSource<IInboundSnapshot> _snapshots;
    private readonly IWorkloadCertificateSource _certificates;
    private readonly InboundTlsStats _stats;
    private readonly ILogger<InboundConnectionSecurity> _logger;
    private readonly int _servicePort;
    private readonly bool _tcp;
    private readonly List<SslApplicationProtocol>? _applicationProtocols;

    public InboundConnectionSecurity(
        ProxyOptions options,
        ISnapshotSource<IInboundSnapshot> snapshots,
        IWorkloadCertificateSource certificates,
        StatsRegistry stats,
        ILogger<InboundConnectionSecurity> logger)
    {
        var inbound = options.Inbound ?? throw new InvalidOperationException("Inbound connection security exists in sidecar mode only.");
        _snapshots = snapshots;
        _certificates = certificates;
        _stats = new InboundTlsStats(stats, options.Service);
        _logger = logger;
        _servicePort = inbound.ServicePort;
        _tcp = ServiceProtocols.IsTcp(inbound.Protocol);
        // An HTTP/1 service's listener takes both by ALPN; an HTTP/2 one takes HTTP/2 only, since its port must also
        // take cleartext HTTP/2 with prior knowledge, which Kestrel serves only on an HTTP/2-only endpoint. A TCP
        // service's bytes are the app's own protocol: nothing to negotiate.
        _applicationProtocols = _tcp ? null
            : ServiceProtocols.UsesHttp2(inbound.Protocol) ? [SslApplicationProtocol.Http2]
            : [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    }

    public ConnectionDelegate Wrap(ConnectionDelegate next) => connection => OnConnectionAsync(connection, next);

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // The mode in force is the one of the snapshot current when the connection arrives.
        var mode = _snapshots.Current.Security.InboundMode(_servicePort);
        if (_tcp && mode == MtlsMode.Disable)
        {
            // Plaintext only, and no wait for the client's first byte: in a server-first protocol (MySQL, SMTP) the
            // client says nothing until the app has spoken. A TLS client's bytes reach the app as they are, as with Envoy.
            _stats.PlaintextConnections.Increment();
            await next(connection);
            return;
        }

        bool isTls;
        using (var timeout = new CancellationTokenSource(HandshakeTimeout))
        {
            try
            {
                var read = await connection.Transport.Input.ReadAsync(timeout.Token);
                if (read.Buffer.IsEmpty)
                {
                    connection.Transport.Input.AdvanceTo(read.Buffer.Start);
                    return;
                }

                isTls = read.Buffer.FirstSpan[0] == TlsHandshakeRecord;
                // Nothing consumed: whoever reads next (SslStream or the HTTP parser) sees the connection from its first byte.
                connection.Transport.Input.AdvanceTo(read.Buffer.Start);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (!isTls)
        {
            if (mode == MtlsMode.Strict)
            {
                _stats.PlaintextRefused.Increment();
                _logger.LogDebug("Refused a plaintext connection from {Remote}: PeerAuthentication is STRICT on port {Port}.", connection.RemoteEndPoint, _servicePort);
                return;
            }

            _stats.PlaintextConnections.Increment();
            await next(connection);
            return;
        }

        if (mode == MtlsMode.Disable)
        {
            _stats.TlsRefused.Increment();
            _logger.LogDebug("Refused a TLS connection from {Remote}: PeerAuthentication is DISABLE on port {Port}.", connection.RemoteEndPoint, _servicePort);
            return;
        }

        await ServeTlsAsync(connection, next);
    }

    private async Task ServeTlsAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var certificate = _certificates.Current;
        var trustBundle = MeshTrust.Anchors(_snapshots.Current, certificate);
        if (certificate is null || trustBundle is null)
        {
            _stats.ConnectionErrors.Increment();
            _logger.LogWarning("Refused a TLS connection from {Remote}: the proxy has no workload certificate yet.", connection.RemoteEndPoint);
            return;
        }

        var ssl = new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
        PeerVerification? verification = null;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = _applicationProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = PeerCertificateValidator.ChainPolicy(trustBundle),
            RemoteCertificateValidationCallback = (_, peerCertificate, chain, errors) =>
            {
                verification = PeerCertificateValidator.Verify(peerCertificate, chain, errors);
                return verification.Passed;
            },
        };

        try
        {
            using var timeout = new CancellationTokenSource(HandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
        }
        catch (Exception e)
        {
            _stats.ConnectionErrors.Increment();
            _stats.Record(verification?.Failure ?? PeerFailure.None);
            _logger.LogWarning("Inbound mTLS handshake from {Remote} failed: {Reason}.", connection.RemoteEndPoint,
                verification is { Passed: false } failed ? failed.Reason : e is OperationCanceledException ? "no handshake within 10 s" : e.Message);
            await ssl.DisposeAsync();
            return;
        }

        if (verification is not { Passed: true, Peer: { } peer } || ssl.RemoteCertificate is not X509Certificate2 peerCertificate)
        {
            // The handshake ended without the certificate check having run; nothing proves who the peer is.
            _stats.ConnectionErrors.Increment();
            _logger.LogWarning("Inbound mTLS handshake from {Remote} completed without a verified client certificate; closing it.", connection.RemoteEndPoint);
            await ssl.DisposeAsync();
            return;
        }

        var feature = new MeshTlsConnectionFeature(ssl, peerCertificate, peer);
        connection.Features.Set<ITlsConnectionFeature>(feature);
        connection.Features.Set<ITlsApplicationProtocolFeature>(feature);
        connection.Features.Set<ITlsHandshakeFeature>(feature);
        connection.Features.Set<ISslStreamFeature>(feature);
        connection.Features.Set<IMeshPeerFeature>(feature);
        _stats.TlsConnections.Increment();

        var transport = connection.Transport;
        var decrypted = new StreamDuplexPipe(ssl, connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool);
        connection.Transport = decrypted;
        try
        {
            await next(connection);
        }
        finally
        {
            await decrypted.CompleteAsync();
            await ssl.DisposeAsync();
            connection.Transport = transport;
        }
    }
}
