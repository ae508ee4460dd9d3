using System.Net;
using System.Net.Sockets;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Tcp;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.Mesh;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// The inbound listener of a TCP service: every connection a peer opens becomes a connection to the app's port on
/// loopback, bytes piped both ways as they come. When the app cannot be reached the peer's connection is closed.
/// PeerAuthentication (<see cref="Tls.InboundConnectionSecurity"/>) has already run: the connection arrives here in
/// plaintext or with mTLS terminated. Every connection is reported to Istio's TCP metrics, as the destination, the
/// peer known by the certificate it presented.
/// </summary>
public sealed class TcpInboundListener : ITcpListenerHandler
{
    private readonly EndPoint _app;
    private readonly TcpInboundStats _stats;
    private readonly ITcpTelemetry _telemetry;
    private readonly TimeSpan _connectTimeout;
    private readonly CancellationToken _stopping;
    private readonly ILogger<TcpInboundListener> _logger;

    public TcpInboundListener(ProxyOptions options, StatsRegistry stats, ITcpTelemetry telemetry, IHostApplicationLifetime lifetime, ILogger<TcpInboundListener> logger)
    {
        var inbound = options.Inbound ?? throw new InvalidOperationException("The inbound listener exists in sidecar mode only.");
        _app = TcpConnect.FromUri(inbound.AppAddress);
        _stats = new TcpInboundStats(stats, options.Service);
        _telemetry = telemetry;
        _connectTimeout = options.Tuning.ConnectTimeout;
        _stopping = lifetime.ApplicationStopping;
        _logger = logger;
        Description = new ListenerDescription("inbound", inbound.BindAddress, inbound.Port, inbound.Protocol, ListenerDirection.Inbound, options.Service);
    }

    public ListenerDescription Description { get; }

    public async Task HandleConnectionAsync(ConnectionContext connection)
    {
        _stats.ConnectionsTotal.Increment();
        _stats.ConnectionsActive.Increment();
        // Set by the mTLS handshake (Tls.InboundConnectionSecurity); absent on a plaintext connection.
        var connectionTelemetry = _telemetry.InboundOpened(connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate);
        var flags = ResponseFlags.None;
        try
        {
            SocketDuplex app;
            try
            {
                app = await TcpConnect.ConnectAsync(_app, _connectTimeout, _stopping);
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
                _stats.AppConnectFailures.Increment();
                flags = ResponseFlags.UpstreamConnectionFailure;
                _logger.LogWarning("Inbound TCP connection could not reach the app at {App}: {Reason}.", _app, SocketErrors.Find(e) ?? e.Message);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using (app)
            {
                // Under mTLS the transport Kestrel hands over is the decrypted one: bytes must go through it, never
                // straight onto the socket.
                var secured = connection.Features.Get<ISslStreamFeature>() is not null;
                await using var peer = new KestrelConnectionDuplex(connection, writeToSocket: !secured);
                await TcpRelay.RunAsync(
                    peer,
                    app,
                    toUpstream: bytes =>
                    {
                        _stats.BytesReceived.Add(bytes);
                        connectionTelemetry.Received(bytes);
                    },
                    toDownstream: bytes =>
                    {
                        _stats.BytesSent.Add(bytes);
                        connectionTelemetry.Sent(bytes);
                    },
                    _stopping);
            }
        }
        finally
        {
            connectionTelemetry.Closed(flags);
            _stats.ConnectionsActive.Decrement();
        }
    }
}
