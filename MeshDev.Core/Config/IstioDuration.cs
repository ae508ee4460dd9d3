using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Core.Config;

/// <summary>
/// Durations as Istio's YAML carries them (protobuf Duration in Go's syntax): a number and a unit, e.g. "7s",
/// "0.5s", "100ms", "1m", "1h", "1h30m". Negative durations are refused: no Istio field takes one.
/// </summary>
public static partial class IstioDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var ticks = 0.0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unitMatch = PartPattern().Match(part.Value);
            var number = double.Parse(unitMatch.Groups["n"].Value, CultureInfo.InvariantCulture);
            ticks += number * unitMatch.Groups["u"].Value switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                _ => 1.0 / 100, // ns
            };
        }

        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    public static string Format(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{(long)value.TotalSeconds}s" : $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)(?<u>h|ms|m|s|us|µs|ns)$")]
    private static partial Regex PartPattern();
}
