namespace MeshDev.Proxy.Telemetry;

/// <summary>
/// Counters per response code ("..._200") and per class ("..._2xx"), created the first time a code is seen, the way
/// Envoy does, so a cluster lists only the codes it has actually returned.
/// </summary>
public sealed class ResponseCodeStats(StatsRegistry registry, string namePrefix, string family, (string Key, string Value) scope)
{
    private readonly Counter?[] _codes = new Counter?[600];
    private readonly Counter?[] _classes = new Counter?[6];

    public void Record(int statusCode)
    {
        if (statusCode is < 100 or > 599)
        {
            return;
        }

        (_codes[statusCode] ??= CreateCode(statusCode)).Increment();
        var codeClass = statusCode / 100;
        (_classes[codeClass] ??= CreateClass(codeClass)).Increment();
    }

    // Racing creators get the same instance back from the registry, so no increment is lost.
    private Counter CreateCode(int code) => registry.Counter(StatName.Of(
        $"{namePrefix}{code}", family, scope, ("response_code", code.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private Counter CreateClass(int codeClass) => registry.Counter(StatName.Of(
        $"{namePrefix}{codeClass}xx", $"{family}_xx", scope, ("response_code_class", $"{codeClass}xx")));
}
