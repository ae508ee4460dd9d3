using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Identity;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Outbound.Tls;

/// <summary>
/// SocketsHttpHandler's ConnectCallback for every upstream HTTP hop (and the TLS half of the TCP hop, see
/// <see cref="MutualTlsTcpUpstreamConnector"/>): opens the TCP connection and, when the current
/// snapshot says the address is a mesh sidecar reached with mTLS, originates TLS on it with the current workload
/// certificate (read per handshake, so a renewal applies to the next connection) and checks that the server chains
/// to the trust bundle and presents the SPIFFE ID the endpoint is known by. The handler above sees a plain stream
/// and speaks the cluster's protocol over it: HTTP/2 by prior knowledge, which ALPN has agreed, or HTTP/1.1.
/// </summary>
public sealed class UpstreamTlsConnector(
    ISnapshotSource<IOutboundSnapshot> snapshots,
    IWorkloadCertificateSource certificates,
    StatsRegistry stats,
    ILogger<UpstreamTlsConnector> logger) : IHttpUpstreamConnector
{
    private readonly ConcurrentDictionary<string, UpstreamTlsStats> _stats = new(StringComparer.Ordinal);

    public UpstreamTlsStats Stats(string cluster) => _stats.GetOrAdd(cluster, static (c, registry) => new UpstreamTlsStats(registry, c), stats);

    /// <summary>Whether a connection to the endpoint is made with mTLS, as the connector will decide it now.</summary>
    public bool UsesMutualTls(string address) => snapshots.Current.Security.Upstream(address) is not null;

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endPoint = context.DnsEndPoint;
        var snapshot = snapshots.Current;
        var target = snapshot.Security.Upstream(endPoint.Host, endPoint.Port);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (target is null)
        {
            return network;
        }

        try
        {
            var alpn = context.InitialRequestMessage.Version.Major >= 2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11;
            return await AuthenticateAsync(network, $"{socket.RemoteEndPoint}", target, snapshot, [alpn], cancellationToken);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Originates mTLS over a connection already open to <paramref name="target"/>'s endpoint, for the HTTP and the TCP
    /// hop alike: the workload certificate in force, the snapshot's trust bundle, and the endpoint's SPIFFE ID.
    /// </summary>
    /// <param name="transport">Owned by the returned stream; disposed on failure.</param>
    /// <param name="applicationProtocols">ALPN to offer; null offers none.</param>
    /// <exception cref="UpstreamTlsException">No certificate yet, or the handshake or the server's certificate failed.</exception>
    public async Task<SslStream> AuthenticateAsync(
        Stream transport,
        string address,
        UpstreamTlsTarget target,
        IOutboundSnapshot snapshot,
        List<SslApplicationProtocol>? applicationProtocols,
        CancellationToken cancellationToken)
    {
        var stats = Stats(target.Cluster);
        var certificate = certificates.Current;
        var trustBundle = MeshTrust.Anchors(snapshot, certificate);
        if (certificate is null || trustBundle is null)
        {
            stats.ConnectionErrors.Increment();
            await transport.DisposeAsync();
            throw Failure(target, address, "this proxy has no workload certificate yet", inner: null);
        }

        PeerVerification? verification = null;
        var options = new SslClientAuthenticationOptions
        {
            // SNI names the service; the server's identity is checked by its SPIFFE ID, not by this name.
            TargetHost = target.Cluster,
            ClientCertificateContext = certificate.Context,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = applicationProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = PeerCertificateValidator.ChainPolicy(trustBundle),
            RemoteCertificateValidationCallback = (_, serverCertificate, chain, errors) =>
            {
                verification = PeerCertificateValidator.Verify(serverCertificate, chain, errors & ~SslPolicyErrors.RemoteCertificateNameMismatch);
                if (verification is { Passed: true, Peer: { } peer } && peer != target.Identity)
                {
                    verification = PeerVerification.Fail(PeerFailure.WrongIdentity, $"the server presented {peer}, expected {target.Identity}");
                }

                return verification.Passed;
            },
        };

        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            stats.ConnectionErrors.Increment();
            stats.Verify.Record(verification?.Failure ?? PeerFailure.None);
            throw Failure(target, address, verification is { Passed: false } failed ? failed.Reason! : e.Message, e);
        }

        stats.Handshakes.Increment();
        return ssl;
    }

    private UpstreamTlsException Failure(UpstreamTlsTarget target, string address, string reason, Exception? inner)
    {
        logger.LogWarning("mTLS handshake with {Cluster} endpoint {Address} ({Identity}) failed: {Reason}.", target.Cluster, address, target.Identity, reason);
        return new UpstreamTlsException($"mTLS handshake with {target.Cluster} endpoint {address} failed: {reason}", inner);
    }
}

/// <summary>
/// A failed mTLS origination. It is an <see cref="IOException"/>, not an AuthenticationException, so that the HTTP
/// handler reports it as a connection error: for retries and outlier detection the endpoint could not be reached.
/// </summary>
public sealed class UpstreamTlsException(string message, Exception? inner) : IOException(message, inner);
