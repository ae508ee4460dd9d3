using System.Net.Sockets;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Discovery;

/// <summary>
/// Keeps the configuration stream to the control plane open: introduces the proxy, applies or refuses each pushed
/// snapshot and answers with an ACK or NACK, reports app health changes. When the control plane is away the proxy
/// keeps serving with its last good snapshot and reconnects with backoff; nothing here ever stops the process.
/// </summary>
public sealed class ControlPlaneClient(
    ProxyOptions options,
    SnapshotStore store,
    ControlPlaneConnectionState connection,
    StatsRegistry stats,
    TimeProvider time,
    ILogger<ControlPlaneClient> logger,
    AppHealthMonitor? appHealth = null) : BackgroundService
{
    private readonly ControlPlaneStats _stats = stats.ControlPlane;

    // One value per run of this proxy: kept across reconnects, new after a restart, so the control plane can tell a
    // reconnect from a restarted process.
    private readonly string _instanceId = Guid.NewGuid().ToString("N");
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    // The open stream's outbox; null while disconnected. A gRPC request stream takes one writer at a time, so
    // ACKs and health reports queue here and a single loop writes them.
    private volatile ChannelWriter<ProxyMessage>? _outbox;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(options.ControlPlaneAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                ConnectTimeout = options.Tuning.ConnectTimeout,
                EnableMultipleHttp2Connections = true,
                // Pings notice a control plane that vanished without closing the connection.
                KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                ActivityHeadersPropagator = null,
            },
            DisposeHttpClient = true,
        });
        var client = new MeshDiscovery.MeshDiscoveryClient(channel);
        var backoff = new ReconnectBackoff();

        if (appHealth is not null)
        {
            appHealth.Changed += ReportHealth;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                _stats.ConnectAttempts.Increment();
                var attempt = backoff.Failures + 1;
                string failure;
                try
                {
                    failure = await RunStreamAsync(client, backoff, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failure = SocketErrors.DescribeFailure(e);
                }
                finally
                {
                    _outbox = null;
                    _stats.Connected.Set(0);
                }

                _stats.ConnectFailures.Increment();
                var delay = backoff.NextDelay();
                connection.Failed(backoff.Failures, failure, time.GetUtcNow() + delay);
                logger.LogWarning(
                    "Control plane {Address} stream attempt {Attempt} failed: {Reason}. Serving with snapshot {Version}; retrying in {Delay:0.0} s.",
                    options.ControlPlaneAddress, attempt, failure, store.Current.Version ?? "(none)", delay.TotalSeconds);

                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        finally
        {
            if (appHealth is not null)
            {
                appHealth.Changed -= ReportHealth;
            }
        }
    }

    /// <returns>Why the stream ended, when it ends without an exception.</returns>
    private async Task<string> RunStreamAsync(MeshDiscovery.MeshDiscoveryClient client, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        using var streamCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var call = client.StreamConfig(cancellationToken: streamCancellation.Token);

        var hello = BuildHello();
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello }, streamCancellation.Token);
        // Connected means the control plane itself answered: a TCP proxy in front of it (Aspire's, a Service) accepts
        // the stream and writes even while the control plane is down.
        await call.ResponseHeadersAsync.WaitAsync(streamCancellation.Token);

        backoff.Reset();
        connection.Connected();
        _stats.Connected.Set(1);
        logger.LogInformation("Connected to control plane {Address} as {ProxyId}.", options.ControlPlaneAddress, options.ProxyId);

        var outbox = Channel.CreateUnbounded<ProxyMessage>(new UnboundedChannelOptions { SingleReader = true });
        _outbox = outbox.Writer;
        if (appHealth is not null && appHealth.Current.Healthy != hello.Healthy)
        {
            // Health changed between building the hello and opening the outbox.
            outbox.Writer.TryWrite(HealthMessage(appHealth.Current));
        }

        Exception? writeFailure = null;
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in outbox.Reader.ReadAllAsync(streamCancellation.Token))
                {
                    await call.RequestStream.WriteAsync(message, streamCancellation.Token);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                writeFailure = e;
                await streamCancellation.CancelAsync();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(streamCancellation.Token))
            {
                outbox.Writer.TryWrite(Apply(message));
            }

            return "the control plane closed the stream";
        }
        catch (Exception) when (writeFailure is not null)
        {
            throw writeFailure;
        }
        finally
        {
            _outbox = null;
            outbox.Writer.TryComplete();
            await streamCancellation.CancelAsync();
            try
            {
                await writer;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private ProxyMessage Apply(ControlPlaneMessage message)
    {
        var version = message.Snapshot?.Version ?? "";
        var reason = SnapshotValidator.Validate(message.Snapshot);
        RuntimeSnapshot? applied = null;
        if (reason is null)
        {
            try
            {
                applied = RuntimeSnapshot.Build(message.Snapshot!, store.Current, time.GetUtcNow(), stats, time);
            }
            catch (InvalidSnapshotException e)
            {
                reason = e.Message;
            }
        }

        if (applied is not null)
        {
            store.Apply(applied);
            _stats.SnapshotsApplied.Increment();
            logger.LogInformation("Applied snapshot {Version} ({Clusters} clusters, {Tables} route tables).", version, applied.Clusters.Count, applied.RouteTables.Count);
            return new ProxyMessage { Ack = new SnapshotAck { Version = version, Nonce = message.Nonce } };
        }

        reason ??= "the snapshot could not be built";

        store.Reject(new RejectedSnapshot(version, reason, time.GetUtcNow()));
        _stats.SnapshotsRejected.Increment();
        logger.LogWarning("Rejected snapshot {Version}: {Reason}. Keeping snapshot {Current}.", version, reason, store.Current.Version ?? "(none)");
        return new ProxyMessage { Nack = new SnapshotNack { Version = version, Nonce = message.Nonce, Reason = reason } };
    }

    private ProxyHello BuildHello()
    {
        var hello = new ProxyHello
        {
            ProxyId = options.ProxyId,
            Mode = options.Mode,
            Service = options.Service,
            Namespace = options.Namespace,
            AdminUrl = $"http://127.0.0.1:{options.AdminPort}",
            // A gateway has no app behind it: it is as healthy as it is running.
            Healthy = appHealth?.Current.Healthy ?? true,
            AppliedVersion = store.Current.Version ?? "",
            Protocol = options.Inbound?.Protocol ?? ServiceProtocol.Http,
            // Only a proxy that will hold a certificate names an identity, so peers dial it with mTLS only then.
            Identity = options.Identity?.Id.ToString() ?? "",
            InstanceId = _instanceId,
            StartedAtUnixMs = _startedAt.ToUnixTimeMilliseconds(),
        };
        foreach (var (key, value) in options.Labels)
        {
            hello.Labels[key] = value;
        }

        hello.UpstreamServices.Add(options.UpstreamServices);
        if (options.Inbound is { } inbound)
        {
            hello.InboundAddress = inbound.AdvertisedAddress;
            hello.ServicePort = (uint)inbound.ServicePort;
        }

        return hello;
    }

    private void ReportHealth(AppHealth health) => _outbox?.TryWrite(HealthMessage(health));

    private static ProxyMessage HealthMessage(AppHealth health) =>
        new() { Health = new WorkloadHealth { Healthy = health.Healthy, Detail = health.Detail } };
}
