using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using MeshDev.Core.Discovery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// A scripted peer for the proxy's side of the MeshDiscovery protocol: a real gRPC server on loopback that records
/// what proxies send and pushes the snapshots a test chooses. It is not the control plane; it plays its part of the
/// wire contract so that proxy tests control every message.
/// </summary>
public sealed class ScriptedControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Channel<ProxyStream>> _streams = new();

    private ScriptedControlPlane(WebApplication app, Func<ProxyHello, ProxySnapshot?>? snapshotOnHello)
    {
        _app = app;
        SnapshotOnHello = snapshotOnHello;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>A snapshot to push as soon as a proxy says hello (on every connection); null pushes nothing.</summary>
    public Func<ProxyHello, ProxySnapshot?>? SnapshotOnHello { get; }

    /// <param name="authority">When set, the control plane also serves MeshCertificates, signing with this test CA.</param>
    public static async Task<ScriptedControlPlane> StartAsync(Func<ProxyHello, ProxySnapshot?>? snapshotOnHello = null, int port = 0, TestCertificateAuthority? authority = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<ScriptedDiscoveryService>();
        if (authority is not null)
        {
            builder.Services.AddSingleton(new ScriptedCertificateService(authority));
        }
        var app = builder.Build();
        var controlPlane = new ScriptedControlPlane(app, snapshotOnHello);
        app.Services.GetRequiredService<ScriptedDiscoveryService>().ControlPlane = controlPlane;
        app.MapGrpcService<ScriptedDiscoveryService>();
        if (authority is not null)
        {
            app.MapGrpcService<ScriptedCertificateService>();
        }
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        controlPlane.Address = new Uri(address);
        return controlPlane;
    }

    /// <summary>The next stream a proxy opens (each reconnect opens a new one).</summary>
    public async Task<ProxyStream> NextStreamAsync(string proxyId, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            return await Streams(proxyId).Reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Proxy '{proxyId}' did not open a configuration stream in time.");
        }
    }

    public Channel<ProxyStream> Streams(string proxyId) => _streams.GetOrAdd(proxyId, _ => Channel.CreateUnbounded<ProxyStream>());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One open StreamConfig call, seen from the control plane's side.</summary>
public sealed class ProxyStream(ProxyHello hello)
{
    private readonly Channel<ProxyMessage> _received = Channel.CreateUnbounded<ProxyMessage>();
    private int _nonce;

    public Channel<ControlPlaneMessage> Outgoing { get; } = Channel.CreateUnbounded<ControlPlaneMessage>();

    public ChannelWriter<ProxyMessage> Received => _received.Writer;

    public ProxyHello Hello { get; } = hello;

    /// <returns>The nonce the push carries.</returns>
    public string Push(ProxySnapshot snapshot)
    {
        var nonce = $"nonce-{Interlocked.Increment(ref _nonce)}";
        Outgoing.Writer.TryWrite(new ControlPlaneMessage { Nonce = nonce, Snapshot = snapshot });
        return nonce;
    }

    public async Task<SnapshotAck> NextAckAsync() => (await NextAsync(m => m.KindCase is ProxyMessage.KindOneofCase.Ack or ProxyMessage.KindOneofCase.Nack, "an ACK")).Ack
        ?? throw new Xunit.Sdk.XunitException("Expected an ACK but the proxy sent a NACK.");

    public async Task<SnapshotNack> NextNackAsync() => (await NextAsync(m => m.KindCase is ProxyMessage.KindOneofCase.Ack or ProxyMessage.KindOneofCase.Nack, "a NACK")).Nack
        ?? throw new Xunit.Sdk.XunitException("Expected a NACK but the proxy sent an ACK.");

    public async Task<WorkloadHealth> NextHealthAsync() => (await NextAsync(m => m.KindCase == ProxyMessage.KindOneofCase.Health, "a health report")).Health;

    /// <summary>The next message that matches, skipping others (for example health reports while waiting for an ACK).</summary>
    public async Task<ProxyMessage> NextAsync(Func<ProxyMessage, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var message = await _received.Reader.ReadAsync(cancellation.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Proxy '{Hello.ProxyId}' did not send {what} in time.");
        }
        catch (ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"Proxy '{Hello.ProxyId}' closed the stream before sending {what}.");
        }
    }

    public void Complete() => _received.Writer.TryComplete();
}

public sealed class ScriptedDiscoveryService : MeshDiscovery.MeshDiscoveryBase
{
    public ScriptedControlPlane ControlPlane { get; set; } = null!;

    public override async Task StreamConfig(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlPlaneMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.KindCase != ProxyMessage.KindOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be a hello"));
        }

        // As the real control plane does: headers at once tell the proxy its stream is held.
        await context.WriteResponseHeadersAsync(new Metadata());
        var stream = new ProxyStream(requestStream.Current.Hello);
        if (ControlPlane.SnapshotOnHello?.Invoke(stream.Hello) is { } snapshot)
        {
            stream.Push(snapshot);
        }

        ControlPlane.Streams(stream.Hello.ProxyId).Writer.TryWrite(stream);

        var writer = Task.Run(async () =>
        {
            await foreach (var message in stream.Outgoing.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(message, context.CancellationToken);
            }
        });

        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                stream.Received.TryWrite(requestStream.Current);
            }
        }
        catch (IOException)
        {
            // The proxy went away; that ends the stream like a clean close.
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            stream.Complete();
            stream.Outgoing.Writer.TryComplete();
        }

        try
        {
            await writer;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
