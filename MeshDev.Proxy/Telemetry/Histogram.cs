namespace MeshDev.Proxy.Telemetry;

/// <summary>A latency histogram in milliseconds with Envoy's fixed bucket bounds.</summary>
public sealed class Histogram(StatName name) : Stat(name)
{
    /// <summary>Envoy's default histogram bucket upper bounds, in milliseconds.</summary>
    public static readonly double[] BucketBounds =
        [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    // One slot per bound plus one for values above the last bound; cumulated only when read.
    private readonly long[] _counts = new long[BucketBounds.Length + 1];
    private long _count;
    private long _sumMicroseconds;

    public void Record(double milliseconds)
    {
        var slot = 0;
        while (slot < BucketBounds.Length && milliseconds > BucketBounds[slot])
        {
            slot++;
        }

        Interlocked.Increment(ref _counts[slot]);
        Interlocked.Add(ref _sumMicroseconds, (long)(milliseconds * 1000));
        Interlocked.Increment(ref _count);
    }

    public HistogramSnapshot Snapshot()
    {
        var cumulative = new long[BucketBounds.Length];
        long running = 0;
        for (var i = 0; i < BucketBounds.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }

        var count = Math.Max(running + Volatile.Read(ref _counts[BucketBounds.Length]), 0);
        return new HistogramSnapshot(count, Volatile.Read(ref _sumMicroseconds) / 1000.0, cumulative);
    }
}

/// <summary>A consistent-enough read of a histogram: bucket counts are cumulative, as Prometheus wants them.</summary>
public sealed record HistogramSnapshot(long Count, double SumMilliseconds, long[] CumulativeCounts)
{
    /// <summary>Estimates a quantile by interpolating inside the bucket that holds it; null when nothing was recorded.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = q * Count;
        long previousCount = 0;
        double lowerBound = 0;
        for (var i = 0; i < CumulativeCounts.Length; i++)
        {
            var upperBound = Histogram.BucketBounds[i];
            if (CumulativeCounts[i] >= rank && CumulativeCounts[i] > previousCount)
            {
                var inBucket = CumulativeCounts[i] - previousCount;
                return lowerBound + (upperBound - lowerBound) * ((rank - previousCount) / inBucket);
            }

            previousCount = CumulativeCounts[i];
            lowerBound = upperBound;
        }

        return Histogram.BucketBounds[^1];
    }
}
