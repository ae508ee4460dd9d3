using MeshDev.Core.Telemetry;

namespace MeshDev.ControlPlane.Telemetry;

/// <summary>
/// Live traffic on one edge over the sliding window. <paramref name="From"/> and <paramref name="To"/> are the
/// nodes the reader put the two workloads on; the labels are what the metrics said about them.
/// </summary>
public sealed record EdgeTraffic(
    string From,
    string To,
    ObservedWorkload Source,
    ObservedWorkload Destination,
    double RequestsPerSecond,
    double ErrorRate,
    double? P50Ms,
    double? P99Ms,
    bool MutualTls,
    DateTimeOffset LastSeen);

/// <summary>
/// What the window holds at one instant: the edges, and which proxy each workload name in the metrics belongs to
/// (a proxy names itself as the source of what it reports as source, and as the destination of what it reports
/// as destination), so that the topology can put metrics and registry on the same nodes.
/// </summary>
public sealed record TrafficReading(IReadOnlyList<EdgeTraffic> Edges, IReadOnlyDictionary<string, string> ProxyOfWorkload);

/// <summary>
/// The Istio counters and histogram buckets of every scraped proxy over a sliding window. Rates and quantiles
/// come from deltas between scrapes, never from absolute values: a counter holds the proxy's whole life, and a
/// proxy that restarts starts again from zero (a drop counts as a reset, as Prometheus' rate() does).
/// </summary>
public sealed class TrafficWindow(TimeSpan window, TimeSpan edgeRetention)
{
    private const string SourceReporter = IstioLabelNames.ReporterSource;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ProxySeries> _proxies = new(StringComparer.Ordinal);

    public TimeSpan Window => window;

    /// <summary>Adds one scrape of <paramref name="proxyId"/>; samples other than the topology's metrics are ignored.</summary>
    public void Record(string proxyId, DateTimeOffset at, IEnumerable<PrometheusSample> samples)
    {
        // Labels the topology does not look at (protocol, flags, exporter scope) split one key into several series: sum them.
        var values = new Dictionary<IstioSeriesKey, double>();
        foreach (var sample in samples)
        {
            if (IstioSeriesKey.From(sample) is { } key && double.IsFinite(sample.Value))
            {
                values[key] = values.GetValueOrDefault(key) + sample.Value;
            }
        }

        lock (_lock)
        {
            if (!_proxies.TryGetValue(proxyId, out var proxy))
            {
                _proxies[proxyId] = proxy = new ProxySeries();
            }

            foreach (var (key, value) in values)
            {
                if (!proxy.Series.TryGetValue(key, out var history))
                {
                    // A series that appears after the proxy's first scrape counts from zero at the previous scrape;
                    // one present at the first scrape holds traffic of unknown age and is only a baseline.
                    proxy.Series[key] = history = new SeriesHistory();
                    if (proxy.LastScrapeAt is { } previous)
                    {
                        history.Add(previous, 0);
                    }
                }

                history.Add(at, value);
                history.Prune(at - window);
            }

            proxy.LastScrapeAt = at;
        }
    }

    /// <summary>Drops a proxy that left the registry, with everything it reported.</summary>
    public void Forget(string proxyId)
    {
        lock (_lock)
        {
            _proxies.Remove(proxyId);
        }
    }

    /// <param name="nodeOf">
    /// Puts a workload, as the metrics name it, on a graph node, given the proxy that names itself so (null when
    /// none does). Series of differently named workloads on one node add up to one edge. The name itself by default.
    /// </param>
    public TrafficReading Read(DateTimeOffset now, Func<string, string?, string>? nodeOf = null)
    {
        nodeOf ??= (workload, _) => workload;
        var windowStart = now - window;
        var groups = new Dictionary<(string From, string To, bool BySource), EdgeAccumulator>();
        var proxyOfWorkload = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (proxyId, proxy) in _proxies)
            {
                foreach (var key in proxy.Series.Keys)
                {
                    proxyOfWorkload.TryAdd(key.Reporter == SourceReporter ? key.Source.Workload : key.Destination.Workload, proxyId);
                }
            }

            var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
            string Node(string workload)
            {
                if (!nodes.TryGetValue(workload, out var node))
                {
                    nodes[workload] = node = nodeOf(workload, proxyOfWorkload.GetValueOrDefault(workload));
                }

                return node;
            }

            foreach (var proxy in _proxies.Values)
            {
                foreach (var (key, history) in proxy.Series)
                {
                    var groupKey = (Node(key.Source.Workload), Node(key.Destination.Workload), key.Reporter == SourceReporter);
                    if (!groups.TryGetValue(groupKey, out var edge))
                    {
                        groups[groupKey] = edge = new EdgeAccumulator(groupKey.Item1, groupKey.Item2, key.Source, key.Destination);
                    }

                    edge.Add(key, history, windowStart);
                }
            }
        }

        var edges = new List<EdgeTraffic>();
        foreach (var ((from, to, bySource), edge) in groups)
        {
            // One reporter per edge, or each request would count twice: the caller's (as Istio's dashboards
            // do), or the server's where no caller reports this edge.
            if (!bySource && groups.ContainsKey((from, to, true)))
            {
                continue;
            }

            var other = groups.GetValueOrDefault((from, to, !bySource));
            var mutualTls = edge.LatestIsMutualTls || other?.LatestIsMutualTls == true;
            if (now - edge.LastSeen <= edgeRetention)
            {
                edges.Add(edge.ToTraffic(mutualTls));
            }
        }

        edges.Sort((a, b) => (a.From, a.To).CompareTo((b.From, b.To)));
        return new TrafficReading(edges, proxyOfWorkload);
    }

    /// <summary>
    /// The value below which the share <paramref name="quantile"/> of observations fall, interpolated linearly
    /// inside the bucket that holds it, as Prometheus' histogram_quantile does; null without observations.
    /// </summary>
    public static double? HistogramQuantile(double quantile, IReadOnlyList<(double UpperBound, double Count)> cumulativeBuckets)
    {
        var buckets = cumulativeBuckets.OrderBy(b => b.UpperBound).ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0)
        {
            return null;
        }

        var rank = quantile * buckets[^1].Count;
        var lowerBound = 0.0;
        var lowerCount = 0.0;
        foreach (var (upperBound, count) in buckets)
        {
            if (count >= rank && count > lowerCount)
            {
                // Past the last finite bound nothing says how far: answer that bound, as Prometheus does.
                if (double.IsPositiveInfinity(upperBound))
                {
                    return lowerBound;
                }

                return lowerBound + ((upperBound - lowerBound) * (rank - lowerCount) / (count - lowerCount));
            }

            lowerBound = upperBound;
            lowerCount = count;
        }

        return lowerBound;
    }

    private sealed class ProxySeries
    {
        public DateTimeOffset? LastScrapeAt { get; set; }
        public Dictionary<IstioSeriesKey, SeriesHistory> Series { get; } = [];
    }

    /// <summary>One series' samples inside the window, plus the last one before it as the baseline.</summary>
    private sealed class SeriesHistory
    {
        private readonly List<(DateTimeOffset At, double Value)> _samples = [];

        public DateTimeOffset? LastIncreaseAt { get; private set; }

        public void Add(DateTimeOffset at, double value)
        {
            if (_samples.Count > 0 && value != _samples[^1].Value && (value > _samples[^1].Value || value > 0))
            {
                LastIncreaseAt = at;
            }

            _samples.Add((at, value));
        }

        public void Prune(DateTimeOffset windowStart)
        {
            var firstInside = _samples.FindIndex(s => s.At > windowStart);
            if (firstInside > 1)
            {
                _samples.RemoveRange(0, firstInside - 1);
            }
            else if (firstInside < 0 && _samples.Count > 1)
            {
                _samples.RemoveRange(0, _samples.Count - 1);
            }
        }

        /// <summary>How much the counter grew since the window opened, and over how long.</summary>
        public (double Increase, TimeSpan Span) IncreaseSince(DateTimeOffset windowStart)
        {
            var baseline = _samples.FindLastIndex(s => s.At <= windowStart);
            if (baseline < 0)
            {
                baseline = 0;
            }

            var increase = 0.0;
            for (var i = baseline + 1; i < _samples.Count; i++)
            {
                var delta = _samples[i].Value - _samples[i - 1].Value;
                increase += delta >= 0 ? delta : _samples[i].Value;
            }

            return (increase, _samples.Count > 0 ? _samples[^1].At - _samples[baseline].At : TimeSpan.Zero);
        }
    }

    private sealed class EdgeAccumulator(string from, string to, ObservedWorkload source, ObservedWorkload destination)
    {
        private readonly Dictionary<double, double> _bucketIncreases = [];
        private double _requestsPerSecond;
        private double _errorsPerSecond;
        private DateTimeOffset _latestRequestAt = DateTimeOffset.MinValue;

        public DateTimeOffset LastSeen { get; private set; } = DateTimeOffset.MinValue;

        /// <summary>The security of the connection that carried this edge's latest request.</summary>
        public bool LatestIsMutualTls { get; private set; }

        public void Add(IstioSeriesKey key, SeriesHistory history, DateTimeOffset windowStart)
        {
            var (increase, span) = history.IncreaseSince(windowStart);
            if (key.Metric == IstioMetricNames.RequestDurationBucket)
            {
                // Every bucket counts, grown or not: a missing bound would move the interpolation's lower edge.
                _bucketIncreases[key.UpperBound] = _bucketIncreases.GetValueOrDefault(key.UpperBound) + increase;
                return;
            }

            if (history.LastIncreaseAt is not { } lastIncrease)
            {
                return;
            }

            if (lastIncrease > LastSeen)
            {
                LastSeen = lastIncrease;
            }

            if (lastIncrease > _latestRequestAt)
            {
                _latestRequestAt = lastIncrease;
                LatestIsMutualTls = key.IsMutualTls;
            }
            else if (lastIncrease == _latestRequestAt)
            {
                LatestIsMutualTls |= key.IsMutualTls;
            }

            // Rates add up over series; each series' rate uses the time its own samples cover.
            var rate = span > TimeSpan.Zero ? increase / span.TotalSeconds : 0;
            _requestsPerSecond += rate;
            if (key.IsServerError)
            {
                _errorsPerSecond += rate;
            }
        }

        public EdgeTraffic ToTraffic(bool mutualTls)
        {
            var buckets = _bucketIncreases.Select(b => (b.Key, b.Value)).ToList();
            return new EdgeTraffic(
                from,
                to,
                source,
                destination,
                Math.Round(_requestsPerSecond, 3),
                _requestsPerSecond > 0 ? Math.Round(_errorsPerSecond / _requestsPerSecond, 4) : 0,
                Round(HistogramQuantile(0.50, buckets)),
                Round(HistogramQuantile(0.99, buckets)),
                mutualTls,
                LastSeen);
        }

        private static double? Round(double? value) => value is { } v ? Math.Round(v, 2) : null;
    }
}
