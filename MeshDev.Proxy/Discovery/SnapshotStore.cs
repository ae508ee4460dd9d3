using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Discovery;

/// <summary>The snapshot in force, swapped atomically as pushes are applied, and the last push that was refused.</summary>
public sealed class SnapshotStore : ISnapshotSource<RuntimeSnapshot>
{
    private RuntimeSnapshot _current = RuntimeSnapshot.Empty;
    private RejectedSnapshot? _lastRejected;

    /// <summary>Read once per request: everything a request decides comes from this one instance.</summary>
    public RuntimeSnapshot Current => Volatile.Read(ref _current);

    public RejectedSnapshot? LastRejected => Volatile.Read(ref _lastRejected);

    public void Apply(RuntimeSnapshot snapshot)
    {
        var replaced = Interlocked.Exchange(ref _current, snapshot);
        if (!ReferenceEquals(replaced, snapshot))
        {
            replaced.Retire();
        }
    }

    public void Reject(RejectedSnapshot rejected) => Volatile.Write(ref _lastRejected, rejected);
}

public sealed record RejectedSnapshot(string Version, string Reason, DateTimeOffset RejectedAt);
