using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Tests.Telemetry;

/// <summary>One sample line of a Prometheus text exposition, its labels parsed.</summary>
public sealed partial record PrometheusSample(string Metric, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public static IReadOnlyList<PrometheusSample> Parse(string exposition) =>
        exposition.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => SampleLine().Match(line))
            .Where(match => match.Success)
            .Select(match => new PrometheusSample(
                match.Groups["name"].Value,
                LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(
                    l => l.Groups["key"].Value,
                    l => l.Groups["value"].Value.Replace("\\\"", "\"").Replace("\\\\", "\\"),
                    StringComparer.Ordinal),
                double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToArray();

    /// <summary>Whether every expected label has the expected value (other labels may be anything).</summary>
    public bool Has(IReadOnlyDictionary<string, string> expected) =>
        expected.All(e => Labels.TryGetValue(e.Key, out var value) && value == e.Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)"""")]
    private static partial Regex LabelPair();
}
