using MeshDev.Proxy.Identity;

namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// Connection security of a sidecar's inbound listener: inbound.&lt;service&gt;.cx_tls / cx_plaintext (connections
/// accepted each way), plaintext_refused (STRICT), tls_refused (DISABLE) and Envoy's listener ssl.* failures.
/// </summary>
public sealed class InboundTlsStats
{
    public InboundTlsStats(StatsRegistry registry, string service)
    {
        var prefix = $"inbound.{service}.";
        var scope = ("service", service);
        TlsConnections = registry.Counter(StatName.Of(prefix + "cx_tls", "meshdev_inbound_cx_tls", scope));
        PlaintextConnections = registry.Counter(StatName.Of(prefix + "cx_plaintext", "meshdev_inbound_cx_plaintext", scope));
        PlaintextRefused = registry.Counter(StatName.Of(prefix + "plaintext_refused", "meshdev_inbound_plaintext_refused", scope));
        TlsRefused = registry.Counter(StatName.Of(prefix + "tls_refused", "meshdev_inbound_tls_refused", scope));
        ConnectionErrors = registry.Counter(StatName.Of(prefix + "ssl.connection_error", "meshdev_inbound_ssl_connection_error", scope));
        Verify = new VerifyFailureStats(registry, prefix, "meshdev_inbound", scope);
    }

    public Counter TlsConnections { get; }
    public Counter PlaintextConnections { get; }
    public Counter PlaintextRefused { get; }
    public Counter TlsRefused { get; }

    /// <summary>Handshakes that failed, whatever the reason (Envoy's ssl.connection_error).</summary>
    public Counter ConnectionErrors { get; }

    public VerifyFailureStats Verify { get; }

    public void Record(PeerFailure failure) => Verify.Record(failure);
}

/// <summary>
/// TLS origination towards one upstream cluster: cluster.&lt;name&gt;.ssl.handshake, ssl.connection_error and the
/// verification failures among them; upstream_rq_mtls / upstream_rq_plaintext say how each request's try travelled,
/// upstream_cx_mtls / upstream_cx_plaintext how each TCP connection did.
/// </summary>
public sealed class UpstreamTlsStats
{
    public UpstreamTlsStats(StatsRegistry registry, string cluster)
    {
        var prefix = $"cluster.{cluster}.";
        var scope = ("cluster_name", cluster);
        Handshakes = registry.Counter(StatName.Of(prefix + "ssl.handshake", "meshdev_cluster_ssl_handshake", scope));
        ConnectionErrors = registry.Counter(StatName.Of(prefix + "ssl.connection_error", "meshdev_cluster_ssl_connection_error", scope));
        MutualTlsRequests = registry.Counter(StatName.Of(prefix + "upstream_rq_mtls", "meshdev_cluster_upstream_rq_mtls", scope));
        PlaintextRequests = registry.Counter(StatName.Of(prefix + "upstream_rq_plaintext", "meshdev_cluster_upstream_rq_plaintext", scope));
        MutualTlsConnections = registry.Counter(StatName.Of(prefix + "upstream_cx_mtls", "meshdev_cluster_upstream_cx_mtls", scope));
        PlaintextConnections = registry.Counter(StatName.Of(prefix + "upstream_cx_plaintext", "meshdev_cluster_upstream_cx_plaintext", scope));
        Verify = new VerifyFailureStats(registry, prefix, "meshdev_cluster", scope);
    }

    public Counter Handshakes { get; }

    /// <summary>Handshakes that failed: each is a connect failure for retries and outlier detection.</summary>
    public Counter ConnectionErrors { get; }

    public Counter MutualTlsRequests { get; }
    public Counter PlaintextRequests { get; }

    /// <summary>TCP connections relayed over mTLS (a TCP connection has no requests to count).</summary>
    public Counter MutualTlsConnections { get; }

    public Counter PlaintextConnections { get; }

    public VerifyFailureStats Verify { get; }
}

/// <summary>Envoy's ssl.fail_verify_* counters: why a peer's certificate was refused.</summary>
public sealed class VerifyFailureStats(StatsRegistry registry, string prefix, string family, (string Key, string Value) scope)
{
    public Counter NoCertificate { get; } = registry.Counter(StatName.Of(prefix + "ssl.fail_verify_no_cert", family + "_ssl_fail_verify_no_cert", scope));
    public Counter Error { get; } = registry.Counter(StatName.Of(prefix + "ssl.fail_verify_error", family + "_ssl_fail_verify_error", scope));
    public Counter San { get; } = registry.Counter(StatName.Of(prefix + "ssl.fail_verify_san", family + "_ssl_fail_verify_san", scope));

    public void Record(PeerFailure failure)
    {
        switch (failure)
        {
            case PeerFailure.NoCertificate:
                NoCertificate.Increment();
                break;
            case PeerFailure.UntrustedChain:
                Error.Increment();
                break;
            case PeerFailure.NoSpiffeId or PeerFailure.WrongIdentity:
                San.Increment();
                break;
        }
    }
}
