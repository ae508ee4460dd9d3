using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// Speaks the proxy's side of StreamConfig over a real gRPC stream, and nothing more: it records every snapshot
/// it receives and sends the ACKs, NACKs and health reports a test asks for.
/// </summary>
public sealed class TestProxy : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly AsyncDuplexStreamingCall<ProxyMessage, ControlPlaneMessage> _call;
    private readonly Channel<ControlPlaneMessage> _received = Channel.CreateUnbounded<ControlPlaneMessage>();
    private readonly Task _reader;
    private int _receivedCount;

    private TestProxy(AsyncDuplexStreamingCall<ProxyMessage, ControlPlaneMessage> call, string proxyId)
    {
        _call = call;
        ProxyId = proxyId;
        _reader = ReadAllAsync();
    }

    public string ProxyId { get; }

    /// <summary>How many snapshots arrived so far.</summary>
    public int ReceivedCount => Volatile.Read(ref _receivedCount);

    /// <summary>Completes when the server ends the stream; faults with its RpcException if it ended with an error.</summary>
    public Task Completion => _reader;

    public static async Task<TestProxy> ConnectAsync(GrpcChannel channel, ProxyHello hello)
    {
        var call = new MeshDiscovery.MeshDiscoveryClient(channel).StreamConfig();
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello });
        // As a real proxy does: the control plane's response headers say the proxy is registered.
        await call.ResponseHeadersAsync.WaitAsync(DefaultTimeout);
        return new TestProxy(call, hello.ProxyId);
    }

    public static ProxyHello Sidecar(string proxyId, string service, string inboundAddress,
        IDictionary<string, string>? labels = null, params string[] upstreams)
    {
        var hello = new ProxyHello
        {
            ProxyId = proxyId,
            Mode = ProxyMode.Sidecar,
            Service = service,
            Namespace = "default",
            InboundAddress = inboundAddress,
            ServicePort = 9080,
            AdminUrl = "http://127.0.0.1:19000",
            Healthy = true,
            Protocol = ServiceProtocol.Http,
        };
        hello.Labels.Add(labels ?? new Dictionary<string, string> { ["app"] = service });
        hello.UpstreamServices.Add(upstreams);
        return hello;
    }

    public async Task<ControlPlaneMessage> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Proxy {ProxyId} received no snapshot within {timeout ?? DefaultTimeout}.");
        }
        catch (ChannelClosedException)
        {
            await _reader; // surfaces the server's status
            throw new InvalidOperationException($"The stream of proxy {ProxyId} ended without another snapshot.");
        }
    }

    /// <summary>Reads snapshots until one satisfies <paramref name="predicate"/>; returns it.</summary>
    public async Task<ControlPlaneMessage> WaitForAsync(Func<ProxySnapshot, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Proxy {ProxyId} received no matching snapshot within {timeout ?? DefaultTimeout}.");
            }

            var message = await NextAsync(remaining);
            if (predicate(message.Snapshot))
            {
                return message;
            }
        }
    }

    /// <summary>True when no snapshot arrives within <paramref name="quietFor"/>.</summary>
    public async Task<bool> StaysQuietAsync(TimeSpan quietFor)
    {
        using var cts = new CancellationTokenSource(quietFor);
        try
        {
            await _received.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public Task AckAsync(ControlPlaneMessage message) =>
        SendAsync(new ProxyMessage { Ack = new SnapshotAck { Version = message.Snapshot.Version, Nonce = message.Nonce } });

    public Task NackAsync(ControlPlaneMessage message, string reason) =>
        SendAsync(new ProxyMessage { Nack = new SnapshotNack { Version = message.Snapshot.Version, Nonce = message.Nonce, Reason = reason } });

    public Task ReportHealthAsync(bool healthy) =>
        SendAsync(new ProxyMessage { Health = new WorkloadHealth { Healthy = healthy, Detail = healthy ? "ok" : "probe failed" } });

    public Task SendAsync(ProxyMessage message) => _call.RequestStream.WriteAsync(message);

    /// <summary>Ends the stream from the proxy's side, as a proxy that shuts down does.</summary>
    public async Task CloseAsync()
    {
        await _call.RequestStream.CompleteAsync();
        try
        {
            await _reader.WaitAsync(DefaultTimeout);
        }
        catch (RpcException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader.WaitAsync(DefaultTimeout);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
        }
    }

    private async Task ReadAllAsync()
    {
        try
        {
            await foreach (var message in _call.ResponseStream.ReadAllAsync())
            {
                Interlocked.Increment(ref _receivedCount);
                await _received.Writer.WriteAsync(message);
            }
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }
}
