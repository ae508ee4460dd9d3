namespace MeshDev.Core.Config.Networking;

/// <summary>The range checks that counts and durations of traffic policies share.</summary>
internal static class NumericFields
{
    public static void CheckCount(ConfigReport report, ConfigResource resource, string field, long? value, long max)
    {
        CheckNonNegative(report, resource, field, value);
        if (value > max)
        {
            report.Error(resource, field, $"{value} is out of range; give 0 to {max}.");
        }
    }

    /// <summary>Istio refuses durations under a millisecond, which Envoy would round to "no timeout" or "no interval".</summary>
    public static void CheckPositiveDuration(ConfigReport report, ConfigResource resource, string field, TimeSpan? value)
    {
        if (value < TimeSpan.FromMilliseconds(1))
        {
            report.Error(resource, field, $"duration {value.Value.TotalMilliseconds}ms is too short; give at least 1ms, e.g. \"10s\".");
        }
    }

    public static void CheckNonNegative(ConfigReport report, ConfigResource resource, string field, long? value)
    {
        if (value is < 0)
        {
            report.Error(resource, field, $"{value} is negative; give 0 or more.");
        }
    }
}
