namespace MeshDev.ControlPlane;

/// <summary>What changed, as far as the proxies' snapshots are concerned.</summary>
public enum MeshChangeKind
{
    /// <summary>A workload registered, reported its health, disconnected, went away: these come in bursts (a whole topology starting).</summary>
    Registry,

    /// <summary>The config in force changed: one deliberate change (an API apply or delete, a saved file), which comes alone.</summary>
    Config,

    /// <summary>Something else a snapshot is compiled from changed, such as a fetched JSON Web Key Set.</summary>
    CompileInput,

    /// <summary>The start-up warm-up ended: proxies whose push it held may now be served.</summary>
    WarmupEnded,
}

/// <summary>
/// The one way a change reaches the proxies. The config store, the registry and the other inputs of a snapshot
/// publish here that something changed, without knowing who listens; the push scheduler is the one subscriber that
/// starts pushes, so config and registry never depend on the push side. Publishing never blocks: subscribers only
/// note the change and act on it elsewhere.
/// </summary>
public sealed class MeshChangeSignal
{
    /// <summary>Raised on the publisher's thread, after the change is in force.</summary>
    public event Action<MeshChangeKind>? Changed;

    public void Publish(MeshChangeKind kind) => Changed?.Invoke(kind);
}
