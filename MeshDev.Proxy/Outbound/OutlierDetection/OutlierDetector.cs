using MeshDev.Core.Discovery;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound.OutlierDetection;

/// <summary>Istio's outlierDetection for one cluster or subset, with Envoy's defaults for what the snapshot leaves at 0.</summary>
public sealed record OutlierDetectionPolicy(
    int Consecutive5xx,
    int ConsecutiveGatewayErrors,
    TimeSpan Interval,
    TimeSpan BaseEjectionTime,
    int MaxEjectionPercent,
    int MinHealthPercent)
{
    public static OutlierDetectionPolicy? From(Core.Discovery.OutlierDetection? detection) => detection is null
        ? null
        : new(
            (int)detection.Consecutive5XxErrors,
            (int)detection.ConsecutiveGatewayErrors,
            TimeSpan.FromMilliseconds(detection.IntervalMs > 0 ? detection.IntervalMs : 10_000),
            TimeSpan.FromMilliseconds(detection.BaseEjectionTimeMs > 0 ? detection.BaseEjectionTimeMs : 30_000),
            // Taken as sent: the control plane fills in Istio's 10 % when the rule leaves it out, and 0 still allows one.
            (int)detection.MaxEjectionPercent,
            (int)detection.MinHealthPercent);

    public bool Enabled => Consecutive5xx > 0 || ConsecutiveGatewayErrors > 0;
}

/// <summary>
/// How many endpoints of one cluster are ejected right now, shared by the cluster and its subsets so that the hot path
/// can skip filtering with one read while nothing is ejected.
/// </summary>
public sealed class EjectionTracker
{
    private int _active;

    public int Active => Volatile.Read(ref _active);

    public int Ejected() => Interlocked.Increment(ref _active);

    public int Returned() => Interlocked.Decrement(ref _active);

    /// <summary>A new snapshot starts from the ejections its endpoints carry over.</summary>
    public static EjectionTracker CountingFrom(IEnumerable<UpstreamEndpoint> endpoints, DateTime now)
    {
        var tracker = new EjectionTracker();
        tracker._active = endpoints.Count(e => e.Outlier.IsEjected(now));
        return tracker;
    }
}

/// <summary>
/// Passive health checking for one set of endpoints, Envoy's way: real upstream responses count consecutive 5xx and
/// gateway errors per endpoint; at the threshold the endpoint is ejected for base_ejection_time times the number of
/// its ejections, within max_ejection_percent (one ejection is always allowed) and not while fewer than
/// min_health_percent of the endpoints are healthy. An ejected endpoint returns lazily, when a pick finds its time up.
/// </summary>
public sealed class OutlierDetector(OutlierDetectionPolicy policy, UpstreamEndpoint[] endpoints, EjectionTracker tracker)
{
    private readonly Lock _ejecting = new();

    public OutlierDetectionPolicy Policy { get; } = policy;

    /// <summary>Records the outcome of one try: an upstream status, or 0 for a connection failure or reset.</summary>
    public void Record(UpstreamEndpoint endpoint, int status, ClusterStats stats)
    {
        var state = endpoint.Outlier;
        var gatewayError = status is 0 or 502 or 503 or 504;
        var serverError = status is 0 or >= 500;
        if (!serverError)
        {
            state.Succeeded();
            return;
        }

        var (fiveXx, gateway) = state.Failed(gatewayError);
        if (Policy.ConsecutiveGatewayErrors > 0 && gateway >= Policy.ConsecutiveGatewayErrors)
        {
            TryEject(endpoint, stats, gatewayFailure: true);
        }
        else if (Policy.Consecutive5xx > 0 && fiveXx >= Policy.Consecutive5xx)
        {
            TryEject(endpoint, stats, gatewayFailure: false);
        }
    }

    /// <summary>The endpoints a pick may choose from: <paramref name="healthy"/> minus the ones ejected now.</summary>
    public static UpstreamEndpoint[] Available(UpstreamEndpoint[] healthy, EjectionTracker tracker, ClusterStats stats)
    {
        if (tracker.Active == 0)
        {
            return healthy;
        }

        var now = DateTime.UtcNow;
        var available = new List<UpstreamEndpoint>(healthy.Length);
        foreach (var endpoint in healthy)
        {
            if (!endpoint.Outlier.IsEjected(now))
            {
                if (endpoint.Outlier.TryReturn())
                {
                    stats.OutlierEjectionsActive.Set(tracker.Returned());
                }

                available.Add(endpoint);
            }
        }

        return available.Count == healthy.Length ? healthy : available.ToArray();
    }

    private void TryEject(UpstreamEndpoint endpoint, ClusterStats stats, bool gatewayFailure)
    {
        lock (_ejecting)
        {
            var now = DateTime.UtcNow;
            if (endpoint.Outlier.IsEjected(now))
            {
                return;
            }

            var total = endpoints.Length;
            var ejected = endpoints.Count(e => e.Outlier.IsEjected(now));
            if (total == 0 || (total - ejected) * 100 < Policy.MinHealthPercent * total)
            {
                return;
            }

            if (ejected > 0 && (ejected + 1) * 100 > Policy.MaxEjectionPercent * total)
            {
                return;
            }

            endpoint.Outlier.Eject(now, Policy.BaseEjectionTime);
            stats.OutlierEjectionsActive.Set(tracker.Ejected());
            stats.OutlierEjectionsEnforced.Increment();
            (gatewayFailure ? stats.OutlierConsecutiveGatewayFailure : stats.OutlierConsecutive5xx).Increment();
        }
    }
}

/// <summary>
/// Outlier detection's view of one endpoint. Like the in-flight count it outlives snapshots (a new snapshot takes over
/// the state of an address it keeps), so a push does not bring an ejected endpoint back early or forget its ejections.
/// </summary>
public sealed class EndpointOutlierState
{
    private int _consecutive5xx;
    private int _consecutiveGatewayErrors;
    private int _ejections;
    private long _ejectedUntilTicks;
    private int _countedAsEjected;

    public int Ejections => Volatile.Read(ref _ejections);

    /// <summary>When the current ejection ends; null when the endpoint is not ejected.</summary>
    public DateTime? EjectedUntil(DateTime now)
    {
        var until = Volatile.Read(ref _ejectedUntilTicks);
        return until > now.Ticks ? new DateTime(until, DateTimeKind.Utc) : null;
    }

    public bool IsEjected(DateTime now) => Volatile.Read(ref _ejectedUntilTicks) > now.Ticks;

    public void Succeeded()
    {
        if (Volatile.Read(ref _consecutive5xx) != 0 || Volatile.Read(ref _consecutiveGatewayErrors) != 0)
        {
            Volatile.Write(ref _consecutive5xx, 0);
            Volatile.Write(ref _consecutiveGatewayErrors, 0);
        }
    }

    public (int Consecutive5xx, int ConsecutiveGatewayErrors) Failed(bool gatewayError)
    {
        var fiveXx = Interlocked.Increment(ref _consecutive5xx);
        if (!gatewayError)
        {
            // A 500 breaks a run of gateway errors but continues a run of 5xx.
            Volatile.Write(ref _consecutiveGatewayErrors, 0);
            return (fiveXx, 0);
        }

        return (fiveXx, Interlocked.Increment(ref _consecutiveGatewayErrors));
    }

    /// <summary>Called under the detector's lock.</summary>
    public void Eject(DateTime now, TimeSpan baseEjectionTime)
    {
        var ejections = Interlocked.Increment(ref _ejections);
        Volatile.Write(ref _ejectedUntilTicks, (now + baseEjectionTime * ejections).Ticks);
        Volatile.Write(ref _countedAsEjected, 1);
        Volatile.Write(ref _consecutive5xx, 0);
        Volatile.Write(ref _consecutiveGatewayErrors, 0);
    }

    /// <returns>True exactly once after an ejection has run out, so the active-ejections count drops once.</returns>
    public bool TryReturn() => Volatile.Read(ref _countedAsEjected) == 1 && Interlocked.Exchange(ref _countedAsEjected, 0) == 1;
}
