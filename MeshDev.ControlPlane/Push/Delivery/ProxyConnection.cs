using System.Security.Cryptography;
using Grpc.Core;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// One live StreamConfig stream. Pushes to it are serialized, so snapshots reach the proxy in the order they
/// were compiled, and a push is skipped when the compiled version equals the one this stream last carried.
/// Each stream pushes on its own: a proxy that does not read holds up only itself, with at most one snapshot in
/// flight (requests meanwhile fold into one "push again"), and a write that outlasts the write timeout closes it.
/// </summary>
public sealed class ProxyConnection(
    string proxyId,
    long session,
    IServerStreamWriter<ControlPlaneMessage> stream,
    IWorkloadRegistry registry,
    ISnapshotCompiler compiler,
    ProxySyncTracker tracker,
    StartupWarmup warmup,
    SnapshotInputsReader inputs,
    string appliedVersion,
    TimeSpan writeTimeout,
    CancellationToken streamAborted,
    CancellationToken shuttingDown) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(streamAborted, shuttingDown);
    private string? _lastSentVersion;
    // 1 while a push is wanted; _pushing is 1 while this stream's push loop runs.
    private int _pushWanted;
    private int _pushing;

    public string ProxyId { get; } = proxyId;
    public long Session { get; } = session;

    /// <summary>
    /// Cancelled when the client goes away, a newer stream with the same proxy id replaces this one, or the
    /// control plane shuts down.
    /// </summary>
    public CancellationToken Closed => _closed.Token;

    public bool IsReplaced { get; private set; }

    /// <summary>Set when a snapshot did not reach the proxy within the write timeout and the stream was closed for it.</summary>
    public bool IsStalled { get; private set; }

    public TimeSpan WriteTimeout => writeTimeout;

    /// <summary>
    /// Asks for a push without waiting for it. Requests made while a push is under way fold into one more push after
    /// it, so a proxy that is slow to read never queues more than that.
    /// </summary>
    public void RequestPush(Action<ProxyConnection, Exception> onFailure)
    {
        Volatile.Write(ref _pushWanted, 1);
        if (Interlocked.CompareExchange(ref _pushing, 1, 0) == 0)
        {
            _ = PushWhileWantedAsync(onFailure);
        }
    }

    private async Task PushWhileWantedAsync(Action<ProxyConnection, Exception> onFailure)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                while (Interlocked.Exchange(ref _pushWanted, 0) == 1 && !Closed.IsCancellationRequested)
                {
                    try
                    {
                        await PushIfChangedAsync(Closed);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
                    {
                        onFailure(this, ex);
                    }
                }

                Volatile.Write(ref _pushing, 0);
                // A request that came after the loop's last look, and found it still running, is served here.
                if (Volatile.Read(ref _pushWanted) == 0 || Closed.IsCancellationRequested || Interlocked.CompareExchange(ref _pushing, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while a push was wanted: nothing is left to push to.
        }
    }

    public void Replace()
    {
        IsReplaced = true;
        _closed.Cancel();
    }

    /// <returns>Whether a snapshot was sent.</returns>
    public async Task<bool> PushIfChangedAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Closed);
        await _sendLock.WaitAsync(linked.Token);
        try
        {
            var workload = registry.Find(ProxyId);
            if (workload is null || workload.Session != Session || (_lastSentVersion is null && warmup.Holds(appliedVersion)))
            {
                return false;
            }

            // The config version reported is the one of the config this very snapshot was compiled from.
            var compiledFrom = inputs.Read(workload);
            var configVersion = compiledFrom.Config.Version;
            var snapshot = compiler.Compile(workload, compiledFrom);
            if (snapshot.Version == _lastSentVersion)
            {
                tracker.OnCompiled(ProxyId, configVersion);
                return false;
            }

            var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            // Recorded before writing: a fast proxy may ACK before WriteAsync returns. The config version goes after the
            // sent one, so the proxy never reads as in sync with a config version whose snapshot it has not been sent.
            tracker.OnSent(ProxyId, snapshot.Version, nonce);
            tracker.OnCompiled(ProxyId, configVersion);
            using var write = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
            write.CancelAfter(writeTimeout);
            try
            {
                await stream.WriteAsync(new ControlPlaneMessage { Nonce = nonce, Snapshot = snapshot }, write.Token);
            }
            catch (OperationCanceledException) when (!linked.IsCancellationRequested)
            {
                // The proxy has not taken what was sent before: close its stream instead of holding snapshots for it.
                IsStalled = true;
                _closed.Cancel();
                throw;
            }

            _lastSentVersion = snapshot.Version;
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Dispose()
    {
        _closed.Dispose();
        _sendLock.Dispose();
    }
}
