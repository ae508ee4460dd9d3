using MeshDev.Core.Discovery;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Outbound.Clusters;

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

    /// <summary>Envoy's default max_ejection_time, which Istio leaves in force: ejections stop growing there.</summary>
    public static readonly TimeSpan DefaultMaxEjectionTime = TimeSpan.FromSeconds(300);

    public bool Enabled => Consecutive5xx > 0 || ConsecutiveGatewayErrors > 0;

    /// <summary>The longest an ejection lasts: Envoy's max_ejection_time, or the base time when that is longer.</summary>
    public TimeSpan MaxEjectionTime => BaseEjectionTime > DefaultMaxEjectionTime ? BaseEjectionTime : DefaultMaxEjectionTime;
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

    /// <summary>
    /// A new snapshot starts from the ejections its endpoints carry over, including one whose time ran out but which
    /// has not been counted back yet: the new snapshot's sweep counts it back, so the count never goes below zero.
    /// </summary>
    public static EjectionTracker CountingFrom(IEnumerable<UpstreamEndpoint> endpoints)
    {
        var tracker = new EjectionTracker();
        tracker._active = endpoints.Count(e => e.Outlier.CountedAsEjected);
        return tracker;
    }
}

/// <summary>
/// Passive health checking for one set of endpoints, Envoy's way: real upstream responses count consecutive 5xx and
/// gateway errors per endpoint; at the threshold the endpoint is ejected for base_ejection_time times the number of
/// its ejections, within max_ejection_percent (one ejection is always allowed) and not while fewer than
/// min_health_percent of the endpoints are healthy. An ejected endpoint takes traffic again as soon as its time is up;
/// a sweep every interval counts it back (ejections_active) even when no request comes, and lowers the ejection
/// multiplier of endpoints that stayed healthy, as Envoy's interval timer does.
/// </summary>
public sealed class OutlierDetector : IDisposable
{
    private readonly Lock _ejecting = new();
    private readonly UpstreamEndpoint[] _endpoints;
    private readonly EjectionTracker _tracker;
    private ITimer? _sweeps;

    public OutlierDetector(OutlierDetectionPolicy policy, UpstreamEndpoint[] endpoints, EjectionTracker tracker)
    {
        Policy = policy;
        _endpoints = endpoints;
        _tracker = tracker;
    }

    public OutlierDetectionPolicy Policy { get; }

    /// <summary>
    /// Runs <see cref="Sweep"/> every interval until disposed. Only a snapshot in service sweeps: the store stops the
    /// sweeps of the snapshot it replaces, so two detectors never count the same return.
    /// </summary>
    public void StartSweeping(ClusterStats stats, TimeProvider time)
    {
        _sweeps ??= time.CreateTimer(
            static state =>
            {
                var (detector, stats, time) = ((OutlierDetector, ClusterStats, TimeProvider))state!;
                detector.Sweep(time.GetUtcNow().UtcDateTime, stats);
            },
            (this, stats, time),
            Policy.Interval,
            Policy.Interval);
    }

    public void Dispose() => _sweeps?.Dispose();

    /// <summary>
    /// Envoy's interval sweep: counts back the endpoints whose ejection is over, and lowers by one the ejection
    /// multiplier of an endpoint that has stayed in service for a whole interval.
    /// </summary>
    public void Sweep(DateTime now, ClusterStats stats)
    {
        foreach (var endpoint in _endpoints)
        {
            var state = endpoint.Outlier;
            if (state.IsEjected(now))
            {
                continue;
            }

            if (state.TryReturn())
            {
                stats.OutlierEjectionsActive.Set(_tracker.Returned());
                continue;
            }

            state.DecayMultiplier(now, Policy.Interval);
        }
    }

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

            var total = _endpoints.Length;
            var ejected = _endpoints.Count(e => e.Outlier.IsEjected(now));
            if (total == 0 || (total - ejected) * 100 < Policy.MinHealthPercent * total)
            {
                return;
            }

            if (ejected > 0 && (ejected + 1) * 100 > Policy.MaxEjectionPercent * total)
            {
                return;
            }

            var wasCounted = endpoint.Outlier.CountedAsEjected;
            endpoint.Outlier.Eject(now, Policy.BaseEjectionTime, Policy.MaxEjectionTime);
            if (!wasCounted)
            {
                stats.OutlierEjectionsActive.Set(_tracker.Ejected());
            }

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
    private int _multiplier;
    private long _multiplierChangedTicks;
    private long _ejectedUntilTicks;
    private int _countedAsEjected;

    /// <summary>Times the endpoint was ejected, in all.</summary>
    public int Ejections => Volatile.Read(ref _ejections);

    /// <summary>Envoy's ejection multiplier: up by one at each ejection, down by one per healthy interval.</summary>
    public int Multiplier => Volatile.Read(ref _multiplier);

    /// <summary>Ejected and not yet counted back into service by a sweep or a pick.</summary>
    public bool CountedAsEjected => Volatile.Read(ref _countedAsEjected) == 1;

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
    public void Eject(DateTime now, TimeSpan baseEjectionTime, TimeSpan maxEjectionTime)
    {
        Interlocked.Increment(ref _ejections);

        // The multiplier stops growing once base × multiplier reaches max_ejection_time, as in Envoy.
        var multiplier = Volatile.Read(ref _multiplier);
        if (baseEjectionTime * (multiplier + 1) <= maxEjectionTime || multiplier == 0)
        {
            multiplier = Interlocked.Increment(ref _multiplier);
        }

        var duration = baseEjectionTime * multiplier;
        Volatile.Write(ref _multiplierChangedTicks, now.Ticks);
        Volatile.Write(ref _ejectedUntilTicks, (now + (duration < maxEjectionTime ? duration : maxEjectionTime)).Ticks);
        Volatile.Write(ref _countedAsEjected, 1);
        Volatile.Write(ref _consecutive5xx, 0);
        Volatile.Write(ref _consecutiveGatewayErrors, 0);
    }

    /// <summary>
    /// Lowers the multiplier by one when it last changed at least an interval ago. Detectors of a cluster and of its
    /// subsets share the endpoint; the timestamp makes the decay once per interval whichever sweeps first.
    /// </summary>
    public void DecayMultiplier(DateTime now, TimeSpan interval)
    {
        var changed = Volatile.Read(ref _multiplierChangedTicks);
        if (Volatile.Read(ref _multiplier) == 0 || now.Ticks - changed < interval.Ticks
            || Interlocked.CompareExchange(ref _multiplierChangedTicks, now.Ticks, changed) != changed)
        {
            return;
        }

        if (Interlocked.Decrement(ref _multiplier) < 0)
        {
            Interlocked.Increment(ref _multiplier);
        }
    }

    /// <returns>True exactly once after an ejection has run out, so the active-ejections count drops once.</returns>
    public bool TryReturn() => Volatile.Read(ref _countedAsEjected) == 1 && Interlocked.Exchange(ref _countedAsEjected, 0) == 1;
}
