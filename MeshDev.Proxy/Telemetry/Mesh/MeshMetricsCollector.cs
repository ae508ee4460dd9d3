using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// Keeps a running total of every series of the "MeshDev.Proxy" meter (one per distinct label set) as the admin
/// listener's stats, so that /stats/prometheus serves Istio's metrics next to the proxy's own with the same writer,
/// whether or not an OTLP endpoint is configured.
/// </summary>
public sealed class MeshMetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, InstrumentSeries> _instruments = new(StringComparer.Ordinal);

    public MeshMetricsCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != IstioMetrics.MeterName)
            {
                return;
            }

            var series = _instruments.GetOrAdd(instrument.Name, static (name, isHistogram) => new InstrumentSeries(name, isHistogram),
                instrument is Histogram<double>);
            listener.EnableMeasurementEvents(instrument, series);
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Every series recorded so far.</summary>
    public IEnumerable<Stat> Series() => _instruments.Values.SelectMany(i => i.All());

    public void Dispose() => _listener.Dispose();

    private sealed class InstrumentSeries(string family, bool isHistogram)
    {
        private readonly ConcurrentDictionary<KeyValuePair<string, string>[], Stat> _series = new(TagSetComparer.Instance);

        public IEnumerable<Stat> All() => _series.Values;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var stat = Find(tags);
            if (stat is Histogram histogram)
            {
                histogram.Record(value);
            }
            else
            {
                ((Counter)stat).Add((long)value);
            }
        }

        private Stat Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // The label set is looked up without building a key: a series is created once, then only found.
            var lookup = _series.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
            if (lookup.TryGetValue(tags, out var stat))
            {
                return stat;
            }

            var labels = TagSetComparer.Materialize(tags);
            var name = StatName.Of(family + "{" + string.Join(',', labels.Select(l => $"{l.Key}={l.Value}")) + "}", family,
                labels.Select(l => (l.Key, l.Value)).ToArray());
            return _series.GetOrAdd(labels, isHistogram ? new Histogram(name) : new Counter(name));
        }
    }

    /// <summary>Label sets compared by name and value, in the order the instrument was given them.</summary>
    private sealed class TagSetComparer :
        IEqualityComparer<KeyValuePair<string, string>[]>,
        IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, KeyValuePair<string, string>[]>
    {
        public static readonly TagSetComparer Instance = new();

        public static KeyValuePair<string, string>[] Materialize(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                labels[i] = KeyValuePair.Create(tags[i].Key, Text(tags[i].Value));
            }

            return labels;
        }

        public bool Equals(KeyValuePair<string, string>[]? x, KeyValuePair<string, string>[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(KeyValuePair<string, string>[] labels)
        {
            var hash = new HashCode();
            foreach (var (key, value) in labels)
            {
                hash.Add(key, StringComparer.Ordinal);
                hash.Add(value, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }

        public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> tags, KeyValuePair<string, string>[] labels)
        {
            if (tags.Length != labels.Length)
            {
                return false;
            }

            for (var i = 0; i < tags.Length; i++)
            {
                if (!string.Equals(tags[i].Key, labels[i].Key, StringComparison.Ordinal)
                    || !string.Equals(Text(tags[i].Value), labels[i].Value, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = new HashCode();
            foreach (var (key, value) in tags)
            {
                hash.Add(key, StringComparer.Ordinal);
                hash.Add(Text(value), StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }

        public KeyValuePair<string, string>[] Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) => Materialize(tags);

        private static string Text(object? value) => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
    }
}
