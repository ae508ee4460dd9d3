using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// The connection-security part of a snapshot, in the form handshakes read it: the trust bundle, the
/// PeerAuthentication mode of the inbound listener, and which upstream addresses are dialled with mTLS and whose
/// SPIFFE ID each must present (secure naming). It is the one reading of InboundSecurity's mtls_mode and port_mtls:
/// what the handshake enforces is what the config dump shows.
/// </summary>
public sealed class TransportSecurity
{
    public static readonly TransportSecurity None = new(
        null, MtlsMode.Permissive, FrozenDictionary<uint, MtlsMode>.Empty, FrozenDictionary<string, UpstreamTlsTarget>.Empty,
        FrozenDictionary<string, ClusterTlsMode>.Empty, FrozenDictionary<string, SpiffeId>.Empty);

    private readonly MtlsMode _inboundMode;
    private readonly FrozenDictionary<uint, MtlsMode> _portModes;
    private readonly FrozenDictionary<string, UpstreamTlsTarget> _upstreams;
    private readonly FrozenDictionary<string, ClusterTlsMode> _clusterModes;
    private readonly FrozenDictionary<string, SpiffeId> _identities;

    private TransportSecurity(
        X509Certificate2Collection? trustBundle,
        MtlsMode inboundMode,
        FrozenDictionary<uint, MtlsMode> portModes,
        FrozenDictionary<string, UpstreamTlsTarget> upstreams,
        FrozenDictionary<string, ClusterTlsMode> clusterModes,
        FrozenDictionary<string, SpiffeId> identities)
    {
        TrustBundle = trustBundle;
        _inboundMode = inboundMode;
        _portModes = portModes;
        _upstreams = upstreams;
        _clusterModes = clusterModes;
        _identities = identities;
    }

    /// <summary>The snapshot's trust_bundle_pem; null when the snapshot carries none.</summary>
    public X509Certificate2Collection? TrustBundle { get; }

    /// <summary>The workload-wide PeerAuthentication mode; unset is PERMISSIVE.</summary>
    public MtlsMode InboundWorkloadMode => _inboundMode;

    /// <summary>The port-level PeerAuthentication modes (portLevelMtls) that override the workload's, by service port.</summary>
    public IReadOnlyDictionary<uint, MtlsMode> InboundPortModes => _portModes;

    /// <summary>The PeerAuthentication mode for connections to <paramref name="servicePort"/>: its port-level mode, else the workload's; unset is PERMISSIVE.</summary>
    public MtlsMode InboundMode(int servicePort) =>
        _portModes.TryGetValue((uint)servicePort, out var mode) ? mode : _inboundMode;

    /// <summary>The cluster's TLS mode as the snapshot set it (from a DestinationRule's trafficPolicy.tls); unspecified is auto.</summary>
    public ClusterTlsMode ClusterMode(string cluster) => _clusterModes.GetValueOrDefault(cluster, ClusterTlsMode.Unspecified);

    /// <summary>The identity the snapshot gives the endpoint at an address, whether or not it is dialled with mTLS.</summary>
    public SpiffeId? EndpointIdentity(string address) => _identities.GetValueOrDefault(address);

    /// <summary>Whom a connection to an endpoint address (as the snapshot spells it) must reach; null for plaintext.</summary>
    public UpstreamTlsTarget? Upstream(string address) => _upstreams.GetValueOrDefault(address);

    /// <summary>Whom a connection to host:port must reach; null when the address is dialled in plaintext.</summary>
    public UpstreamTlsTarget? Upstream(string host, int port) =>
        _upstreams.GetValueOrDefault(AddressKey(host, port));

    /// <exception cref="InvalidSnapshotException">A trust bundle entry is not PEM or an endpoint identity is not a SPIFFE ID.</exception>
    public static TransportSecurity Build(ProxySnapshot snapshot)
    {
        X509Certificate2Collection? trustBundle;
        try
        {
            trustBundle = CertificatePem.ParseBundle(snapshot.TrustBundlePem, "trust_bundle_pem");
        }
        catch (CertificateResponseException e)
        {
            throw new InvalidSnapshotException(e.Message);
        }

        var inbound = snapshot.InboundSecurity;
        var portModes = inbound?.PortMtls
            .Where(p => p.Value != MtlsMode.Unspecified)
            .ToFrozenDictionary(p => p.Key, p => p.Value) ?? FrozenDictionary<uint, MtlsMode>.Empty;

        var upstreams = new Dictionary<string, UpstreamTlsTarget>(StringComparer.Ordinal);
        var clusterModes = new Dictionary<string, ClusterTlsMode>(StringComparer.Ordinal);
        var identities = new Dictionary<string, SpiffeId>(StringComparer.Ordinal);
        foreach (var cluster in snapshot.Clusters)
        {
            var mode = cluster.Tls?.Mode ?? ClusterTlsMode.Unspecified;
            clusterModes[cluster.Name] = mode;
            foreach (var endpoint in cluster.Endpoints)
            {
                if (endpoint.Identity.Length == 0)
                {
                    continue;
                }

                if (!SpiffeId.TryParse(endpoint.Identity, out var identity))
                {
                    throw new InvalidSnapshotException(
                        $"cluster '{cluster.Name}' endpoint {endpoint.Address}: identity '{endpoint.Identity}' is not a SPIFFE ID (spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)");
                }

                identities[endpoint.Address] = identity;

                // An address is one sidecar's inbound listener: were it named by a DISABLE cluster and an mTLS one,
                // mTLS wins, since a connection pool per address cannot be both.
                if (mode != ClusterTlsMode.Disable)
                {
                    // By the snapshot's spelling (what a request's endpoint has) and by the dialled form (what a
                    // connection knows).
                    var target = new UpstreamTlsTarget(cluster.Name, identity);
                    upstreams[endpoint.Address] = target;
                    upstreams[AddressKey(endpoint.Address)] = target;
                }
            }
        }

        return new TransportSecurity(
            trustBundle,
            Resolve(inbound?.MtlsMode ?? MtlsMode.Unspecified),
            portModes,
            upstreams.ToFrozenDictionary(StringComparer.Ordinal),
            clusterModes.ToFrozenDictionary(StringComparer.Ordinal),
            identities.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static MtlsMode Resolve(MtlsMode mode) => mode == MtlsMode.Unspecified ? MtlsMode.Permissive : mode;

    /// <summary>"host:port" with IPv6 hosts unbracketed, so that a snapshot address and a dialled endpoint compare equal.</summary>
    private static string AddressKey(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? AddressKey(address[..colon], port)
            : address;
    }

    private static string AddressKey(string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{host.Trim('[', ']').ToLowerInvariant()}:{port}");
}

/// <param name="Cluster">The mesh service the address belongs to, for stats and logs.</param>
/// <param name="Identity">The SPIFFE ID the server must present.</param>
public sealed record UpstreamTlsTarget(string Cluster, SpiffeId Identity);
