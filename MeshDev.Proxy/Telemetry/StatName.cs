namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// How one statistic is known: by its Envoy-style dotted name (for /stats) and by a Prometheus family with labels
/// (for /stats/prometheus), so both expositions describe the same number.
/// </summary>
public sealed record StatName(string Name, string Family, IReadOnlyList<KeyValuePair<string, string>> Labels)
{
    public static StatName Of(string name, string family, params (string Key, string Value)[] labels) =>
        new(name, family, labels.Select(l => KeyValuePair.Create(l.Key, l.Value)).ToArray());
}
