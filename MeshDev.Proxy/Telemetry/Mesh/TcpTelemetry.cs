using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// Istio's TCP metrics for the proxy's TCP listeners (istio_tcp_connections_opened_total / _closed_total,
/// istio_tcp_received_bytes_total / _sent_bytes_total), with the same labels as the HTTP metrics bar the response
/// code and gRPC status, and request_protocol "tcp". A listener opens one <see cref="TcpConnectionTelemetry"/> per
/// downstream connection, reports bytes as it relays them and closes it when the connection ends.
/// </summary>
public interface ITcpTelemetry
{
    /// <summary>
    /// A connection from the app to <paramref name="service"/> on a sidecar's outbound side (reporter "source"),
    /// relayed to <paramref name="endpoint"/>; null when none could be picked (close it with UH then).
    /// </summary>
    TcpConnectionTelemetry OutboundOpened(string service, IUpstreamPeer? endpoint);

    /// <summary>
    /// A connection from a peer on the sidecar's inbound side (reporter "destination"). The peer is known by its
    /// client certificate only: TCP carries no peer metadata.
    /// </summary>
    TcpConnectionTelemetry InboundOpened(X509Certificate2? peerCertificate);
}

/// <summary>One TCP connection's share of Istio's TCP metrics. Safe to call from the relay's two directions at once.</summary>
public sealed class TcpConnectionTelemetry
{
    /// <summary>What telemetry that is switched off hands out: every call does nothing.</summary>
    public static readonly TcpConnectionTelemetry None = new(null, default);

    private readonly IstioMetrics? _metrics;
    private readonly IstioLabelValues _labels;
    private readonly TagList _tags;
    private int _closed;

    internal TcpConnectionTelemetry(IstioMetrics? metrics, IstioLabelValues labels)
    {
        _metrics = metrics;
        _labels = labels;
        if (metrics is not null)
        {
            _tags = IstioLabels.ForTcp(labels, ResponseFlags.None);
            metrics.TcpOpened(_tags);
        }
    }

    /// <summary>Bytes sent to the downstream peer (the one that opened the connection).</summary>
    public void Sent(long bytes) => _metrics?.TcpSent(bytes, _tags);

    /// <summary>Bytes received from the downstream peer.</summary>
    public void Received(long bytes) => _metrics?.TcpReceived(bytes, _tags);

    /// <summary>The connection ended; <paramref name="flags"/> say why when the proxy ended it (UF, UH, UO).</summary>
    public void Closed(ResponseFlags flags = ResponseFlags.None)
    {
        if (_metrics is null || Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        _metrics.TcpClosed(flags == ResponseFlags.None ? _tags : IstioLabels.ForTcp(_labels, flags));
    }
}

public sealed class TcpTelemetry(MeshTelemetry mesh, IstioMetrics metrics) : ITcpTelemetry
{
    public TcpConnectionTelemetry OutboundOpened(string service, IUpstreamPeer? endpoint) =>
        mesh.Enabled ? new TcpConnectionTelemetry(metrics, mesh.SourceLabels(service, endpoint, IstioLabels.ProtocolTcp)) : TcpConnectionTelemetry.None;

    public TcpConnectionTelemetry InboundOpened(X509Certificate2? peerCertificate) =>
        mesh.Enabled
            ? new TcpConnectionTelemetry(metrics, mesh.DestinationLabels(peer: null, SpiffeId.FromCertificate(peerCertificate)?.ToString(), IstioLabels.ProtocolTcp))
            : TcpConnectionTelemetry.None;
}
