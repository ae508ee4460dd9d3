using System.Globalization;
using MeshDev.Core;
using MeshDev.Core.Identity;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Proxy.Configuration;

/// <summary>Reads the telemetry keys of <see cref="MeshEnvironment.Proxy"/>, refusing values it cannot act on.</summary>
public static class TelemetryOptionsReader
{
    public static TelemetryOptions Read(IConfiguration configuration, ProxyOptions options)
    {
        var enabled = Optional(configuration, Keys.TelemetryEnabled) is not { } enabledValue || enabledValue.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error($"{Keys.TelemetryEnabled} is \"{enabledValue}\"; expected true or false", Keys.TelemetryEnabled),
        };

        var sampling = TelemetryOptions.Default.TraceSamplingPercentage;
        if (Optional(configuration, Keys.TraceSampling) is { } samplingValue)
        {
            if (!double.TryParse(samplingValue, NumberStyles.Float, CultureInfo.InvariantCulture, out sampling) || sampling is < 0 or > 100 || double.IsNaN(sampling))
            {
                throw Error($"{Keys.TraceSampling} is \"{samplingValue}\"; expected a percentage from 0 to 100", Keys.TraceSampling);
            }
        }

        var format = (Optional(configuration, Keys.AccessLogFormat) ?? "text").ToLowerInvariant() switch
        {
            "text" => AccessLogFormat.Text,
            "json" => AccessLogFormat.Json,
            "off" => AccessLogFormat.Off,
            var other => throw Error($"{Keys.AccessLogFormat} is \"{other}\"; expected text, json or off", Keys.AccessLogFormat),
        };

        var workload = Optional(configuration, Keys.Workload) ?? MeshWorkloads.FromProxyId(options.ProxyId);
        // The identity the CA signs for this proxy (see MeshEnvironment.Proxy.ServiceAccount), named in principal labels.
        var identity = new SpiffeId(
            Optional(configuration, Keys.TrustDomain) ?? MeshEnvironment.DefaultTrustDomain,
            options.Namespace,
            Optional(configuration, Keys.ServiceAccount) ?? options.Service);
        return new TelemetryOptions(enabled, workload, identity, sampling, format);
    }

    private static string? Optional(IConfiguration configuration, string key) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static ProxyConfigurationException Error(string message, string key) =>
        new($"{message} (environment variable {MeshEnvironment.ToEnvironmentVariable(key)}).");
}
