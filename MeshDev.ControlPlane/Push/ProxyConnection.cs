using System.Security.Cryptography;
using Grpc.Core;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push;

/// <summary>
/// One live StreamConfig stream. Pushes to it are serialized, so snapshots reach the proxy in the order they
/// were compiled, and a push is skipped when the compiled version equals the one this stream last carried.
/// </summary>
public sealed class ProxyConnection(
    string proxyId,
    long session,
    IServerStreamWriter<ControlPlaneMessage> stream,
    IWorkloadRegistry registry,
    ISnapshotCompiler compiler,
    ProxySyncTracker tracker,
    StartupWarmup warmup,
    IConfigStore config,
    string appliedVersion,
    CancellationToken streamAborted,
    CancellationToken shuttingDown) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(streamAborted, shuttingDown);
    private string? _lastSentVersion;

    public string ProxyId { get; } = proxyId;
    public long Session { get; } = session;

    /// <summary>
    /// Cancelled when the client goes away, a newer stream with the same proxy id replaces this one, or the
    /// control plane shuts down.
    /// </summary>
    public CancellationToken Closed => _closed.Token;

    public bool IsReplaced { get; private set; }

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

            // Read before compiling, so the version reported can only lag the config compiled, never lead it.
            var configVersion = config.Current.Version;
            var snapshot = compiler.Compile(workload, registry.GetAll());
            tracker.OnCompiled(ProxyId, configVersion);
            if (snapshot.Version == _lastSentVersion)
            {
                return false;
            }

            var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            // Recorded before writing: a fast proxy may ACK before WriteAsync returns.
            tracker.OnSent(ProxyId, snapshot.Version, nonce);
            await stream.WriteAsync(new ControlPlaneMessage { Nonce = nonce, Snapshot = snapshot }, linked.Token);
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
