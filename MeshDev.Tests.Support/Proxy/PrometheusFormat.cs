using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Tests.Proxy;

/// <summary>Checks the rules of the Prometheus text format that a scraper relies on.</summary>
public static partial class PrometheusFormat
{
    public static void AssertWellFormed(string exposition)
    {
        Assert.EndsWith("\n", exposition);
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        var finishedFamilies = new HashSet<string>(StringComparer.Ordinal);
        string? currentFamily = null;
        var lastBucket = new Dictionary<string, (double Le, double Count)>(StringComparer.Ordinal);

        foreach (var line in exposition.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Equal(4, parts.Length);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                Assert.True(typed.TryAdd(parts[2], parts[3]), $"family {parts[2]} is typed twice");
                if (currentFamily is not null)
                {
                    finishedFamilies.Add(currentFamily);
                }

                currentFamily = parts[2];
                continue;
            }

            var sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a sample line: {line}");
            var metric = sample.Groups["name"].Value;
            var family = typed.ContainsKey(metric) ? metric : Regex.Replace(metric, "_(bucket|sum|count)$", "");
            Assert.Equal(currentFamily, family);
            Assert.DoesNotContain(family, finishedFamilies);
            Assert.True(double.TryParse(sample.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value), line);

            if (metric.EndsWith("_bucket", StringComparison.Ordinal))
            {
                var labels = sample.Groups["labels"].Value;
                var le = Regex.Match(labels, "le=\"([^\"]+)\"").Groups[1].Value;
                var series = Regex.Replace(labels, ",?le=\"[^\"]+\"", "");
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                if (lastBucket.TryGetValue(family + series, out var previous))
                {
                    Assert.True(bound > previous.Le, $"buckets out of order: {line}");
                    Assert.True(value >= previous.Count, $"buckets not cumulative: {line}");
                }

                lastBucket[family + series] = (bound, value);
            }
        }

        Assert.All(lastBucket.Values, last => Assert.Equal(double.PositiveInfinity, last.Le));
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)\})? (?<value>\S+)$""")]
    private static partial Regex Sample();
}
