using Google.Protobuf;
using Grpc.Core;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// The config push stream. The proxy says hello, gets its snapshot at once, then gets a new one whenever a change
/// that the <see cref="PushScheduler"/> hears alters it; it answers every snapshot with an ACK or a NACK and reports its app's
/// health as it changes.
/// </summary>
public sealed partial class MeshDiscoveryService(
    IWorkloadRegistry registry,
    ISnapshotCompiler compiler,
    ProxySyncTracker tracker,
    ProxyConnectionHub hub,
    StartupWarmup warmup,
    SnapshotInputsReader inputs,
    ControlPlaneOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<MeshDiscoveryService> logger) : MeshDiscovery.MeshDiscoveryBase
{
    public override async Task StreamConfig(
        IAsyncStreamReader<ProxyMessage> requestStream,
        IServerStreamWriter<ControlPlaneMessage> responseStream,
        ServerCallContext context)
    {
        // A stream that never says hello would hold its slot forever.
        using (var helloWait = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken))
        {
            helloWait.CancelAfter(options.HelloTimeout);
            try
            {
                if (!await requestStream.MoveNext(helloWait.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                    $"No ProxyHello within {options.HelloTimeout.TotalSeconds:0.###} s of opening StreamConfig; a proxy sends ProxyHello first."));
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"The first message on StreamConfig is not a ProxyMessage: {ex.Message}"));
            }
        }

        var hello = ReadHello(requestStream.Current);
        var session = registry.Register(hello);
        tracker.OnConnected(hello.ProxyId, hello.AppliedVersion);
        // Answered at once, so the proxy knows it is registered with the control plane itself even while its
        // first push waits (a TCP proxy in front of the control plane would accept the stream without it).
        await context.WriteResponseHeadersAsync(new Metadata());

        using var connection = new ProxyConnection(
            hello.ProxyId, session, responseStream, registry, compiler, tracker, warmup, inputs, hello.AppliedVersion, options.PushWriteTimeout, context.CancellationToken, lifetime.ApplicationStopping);
        hub.Add(connection);
        try
        {
            await connection.PushIfChangedAsync(connection.Closed);
            while (await requestStream.MoveNext(connection.Closed))
            {
                Handle(connection, requestStream.Current);
            }
        }
        catch (OperationCanceledException) when (connection.IsStalled)
        {
            LogStalled(hello.ProxyId, connection.WriteTimeout.TotalSeconds);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"Proxy '{hello.ProxyId}' did not take its snapshot within {connection.WriteTimeout.TotalSeconds:0.###} s; its stream is closed (reconnect)."));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Proxy '{hello.ProxyId}' sent a message that is not a ProxyMessage: {ex.Message}"));
        }
        catch (OperationCanceledException) when (connection.IsReplaced)
        {
            throw new RpcException(new Status(StatusCode.Aborted,
                $"A newer StreamConfig stream for proxy '{hello.ProxyId}' replaced this one."));
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // Ends the stream now rather than when the host's shutdown timeout aborts it; proxies reconnect.
            throw new RpcException(new Status(StatusCode.Unavailable, "The control plane is shutting down."));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The proxy went away; the finally block records it.
        }
        catch (IOException ex)
        {
            // The connection dropped under the stream (proxy killed, network gone): a disconnect, not a fault here.
            LogStreamAborted(hello.ProxyId, ex.Message);
        }
        finally
        {
            hub.Remove(connection);
            registry.Disconnect(hello.ProxyId, session);
        }
    }

    private static ProxyHello ReadHello(ProxyMessage first)
    {
        if (first.KindCase != ProxyMessage.KindOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"The first message on StreamConfig must be ProxyHello; got {first.KindCase}."));
        }

        if (ProxyHelloValidator.Validate(first.Hello) is { } error)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error));
        }

        return first.Hello;
    }

    private void Handle(ProxyConnection connection, ProxyMessage message)
    {
        switch (message.KindCase)
        {
            case ProxyMessage.KindOneofCase.Ack:
                tracker.OnAck(connection.ProxyId, message.Ack);
                break;
            case ProxyMessage.KindOneofCase.Nack:
                tracker.OnNack(connection.ProxyId, message.Nack);
                break;
            case ProxyMessage.KindOneofCase.Health:
                registry.ReportHealth(connection.ProxyId, connection.Session, message.Health.Healthy);
                break;
            case ProxyMessage.KindOneofCase.Hello:
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"Proxy '{connection.ProxyId}' sent ProxyHello again; it is accepted only as the first message of a stream."));
            default:
                LogEmptyMessage(connection.ProxyId);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} did not take its snapshot within {Seconds} s; its stream is closed")]
    private partial void LogStalled(string proxyId, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream of proxy {ProxyId} aborted: {Reason}")]
    private partial void LogStreamAborted(string proxyId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Proxy {ProxyId} sent a message with no kind set; ignored")]
    private partial void LogEmptyMessage(string proxyId);
}
