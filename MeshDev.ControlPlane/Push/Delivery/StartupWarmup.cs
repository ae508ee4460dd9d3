namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// A control plane that has just started knows only the proxies that have reconnected so far. A proxy that comes
/// back already running a snapshot would, if pushed to at once, trade a complete snapshot for one that lacks the
/// workloads still on their way back, and send traffic to fewer instances (or none). Such proxies keep what they
/// run until the warm-up ends, by which time every proxy has reconnected (the warm-up outlasts the proxies'
/// longest reconnect backoff); proxies that have nothing yet are served at once. Its end is published like any other
/// change, so the held proxies are served by the scheduler's next round.
/// </summary>
public sealed class StartupWarmup(ControlPlaneOptions options, TimeProvider time, MeshChangeSignal changes) : BackgroundService
{
    private readonly long _startedAt = time.GetTimestamp();

    public bool IsWarmingUp => time.GetElapsedTime(_startedAt) < options.StartupWarmup;

    /// <summary>Whether a push to a proxy that reported <paramref name="appliedVersion"/> in its hello waits for the warm-up.</summary>
    public bool Holds(string appliedVersion) => appliedVersion.Length > 0 && IsWarmingUp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var remaining = options.StartupWarmup - time.GetElapsedTime(_startedAt);
        if (remaining > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(remaining, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        changes.Publish(MeshChangeKind.WarmupEnded);
    }
}
