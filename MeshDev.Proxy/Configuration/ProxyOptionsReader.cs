using System.Globalization;
using System.Net;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Proxy.Configuration;

/// <summary>
/// Reads <see cref="ProxyOptions"/> from the keys in <see cref="MeshEnvironment.Proxy"/> and refuses, with one message
/// naming the key, anything the proxy could not run with.
/// </summary>
public static class ProxyOptionsReader
{
    /// <summary>Tuning knobs that are not part of the hosting contract.</summary>
    public const string TuningSection = "Mesh:Proxy";

    public static ProxyOptions Read(IConfiguration configuration)
    {
        var mode = ReadMode(configuration);
        var modeName = mode == ProxyMode.Sidecar ? "sidecar" : "gateway";

        var options = new ProxyOptions
        {
            Mode = mode,
            ProxyId = Required(configuration, Keys.ProxyId, modeName),
            Service = Required(configuration, Keys.Service, modeName),
            Namespace = Optional(configuration, Keys.Namespace) ?? MeshEnvironment.DefaultNamespace,
            Labels = configuration.GetSection(Keys.Labels).GetChildren()
                .Where(c => c.Value is not null)
                .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal),
            ControlPlaneAddress = HttpUri(configuration, Keys.ControlPlaneAddress, Required(configuration, Keys.ControlPlaneAddress, modeName)),
            AdminPort = Port(configuration, Keys.AdminPort, modeName),
            Inbound = mode == ProxyMode.Sidecar ? ReadInbound(configuration) : null,
            Outbound = mode == ProxyMode.Sidecar ? ReadOutbound(configuration) : [],
            Gateway = mode == ProxyMode.Gateway ? ReadGateway(configuration) : null,
            Tuning = ReadTuning(configuration),
        };
        options = options with { Telemetry = TelemetryOptionsReader.Read(configuration, options) };

        EnsureDistinctPorts(options);
        return options;
    }

    private static ProxyMode ReadMode(IConfiguration configuration)
    {
        var value = Optional(configuration, Keys.Mode)
            ?? throw Error($"{Keys.Mode} is required: \"sidecar\" or \"gateway\"", Keys.Mode);
        return value.ToLowerInvariant() switch
        {
            "sidecar" => ProxyMode.Sidecar,
            "gateway" => ProxyMode.Gateway,
            _ => throw Error($"{Keys.Mode} is \"{value}\"; expected \"sidecar\" or \"gateway\"", Keys.Mode),
        };
    }

    private static InboundOptions ReadInbound(IConfiguration configuration)
    {
        var protocolValue = Optional(configuration, Keys.InboundProtocol) ?? "http";
        if (!ServiceProtocols.TryParse(protocolValue, out var protocol))
        {
            throw Error($"{Keys.InboundProtocol} is \"{protocolValue}\"; expected http, http2 or grpc", Keys.InboundProtocol);
        }

        var healthPath = Optional(configuration, Keys.AppHealthPath) ?? "/health";
        if (!healthPath.StartsWith('/'))
        {
            throw Error($"{Keys.AppHealthPath} is \"{healthPath}\"; it must start with '/'", Keys.AppHealthPath);
        }

        return new InboundOptions(
            BindAddress(configuration, Keys.InboundBindAddress, "127.0.0.1"),
            Port(configuration, Keys.InboundPort, "sidecar"),
            Port(configuration, Keys.ServicePort, "sidecar"),
            protocol,
            HttpUri(configuration, Keys.AppAddress, Required(configuration, Keys.AppAddress, "sidecar")),
            healthPath);
    }

    private static List<OutboundServiceOptions> ReadOutbound(IConfiguration configuration)
    {
        var outbound = new List<OutboundServiceOptions>();
        foreach (var section in configuration.GetSection(Keys.Outbound).GetChildren())
        {
            var portKey = $"{Keys.Outbound}:{section.Key}:Port";
            var protocolKey = $"{Keys.Outbound}:{section.Key}:Protocol";
            var protocolValue = section["Protocol"] ?? "http";
            if (!ServiceProtocols.TryParse(protocolValue, out var protocol))
            {
                throw Error($"{protocolKey} is \"{protocolValue}\"; expected http, http2 or grpc", protocolKey);
            }

            outbound.Add(new OutboundServiceOptions(section.Key, Port(configuration, portKey, "sidecar"), protocol));
        }

        return outbound;
    }

    private static GatewayOptions ReadGateway(IConfiguration configuration)
    {
        var servicePort = Optional(configuration, Keys.GatewayServicePort) is null ? 80 : Port(configuration, Keys.GatewayServicePort, "gateway");
        return new GatewayOptions(
            BindAddress(configuration, Keys.GatewayBindAddress, "localhost"),
            Port(configuration, Keys.GatewayPort, "gateway"),
            servicePort);
    }

    private static ProxyTuningOptions ReadTuning(IConfiguration configuration)
    {
        var defaults = new ProxyTuningOptions();
        return new ProxyTuningOptions
        {
            HealthProbeInterval = Duration(configuration, "HealthProbeInterval", defaults.HealthProbeInterval),
            HealthProbeTimeout = Duration(configuration, "HealthProbeTimeout", defaults.HealthProbeTimeout),
            ConnectTimeout = Duration(configuration, "ConnectTimeout", defaults.ConnectTimeout),
            StreamIdleTimeout = Duration(configuration, "StreamIdleTimeout", defaults.StreamIdleTimeout),
        };
    }

    /// <summary>A duration in seconds ("1", "0.5") or as a TimeSpan ("00:00:01").</summary>
    private static TimeSpan Duration(IConfiguration configuration, string name, TimeSpan fallback)
    {
        var key = $"{TuningSection}:{name}";
        var value = Optional(configuration, key);
        if (value is null)
        {
            return fallback;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds < TimeSpan.MaxValue.TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw Error($"{key} is \"{value}\"; expected a positive number of seconds or a duration like 00:00:01", key);
    }

    private static string BindAddress(IConfiguration configuration, string key, string fallback)
    {
        var value = Optional(configuration, key) ?? fallback;
        if (value == "localhost" || IPAddress.TryParse(value.Trim('[', ']'), out _))
        {
            return value;
        }

        throw Error($"{key} is \"{value}\"; expected an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost", key);
    }

    private static int Port(IConfiguration configuration, string key, string modeName)
    {
        var value = Optional(configuration, key) ?? throw Error($"{key} is required in {modeName} mode", key);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw Error($"{key} is \"{value}\"; expected a port number from 1 to 65535", key);
        }

        return port;
    }

    private static Uri HttpUri(IConfiguration configuration, string key, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.Port is < 1 or > 65535)
        {
            throw Error($"{key} is \"{value}\"; expected an http:// URL with a host and port, e.g. http://127.0.0.1:5000", key);
        }

        return uri;
    }

    private static string Required(IConfiguration configuration, string key, string modeName) =>
        Optional(configuration, key) ?? throw Error($"{key} is required in {modeName} mode", key);

    private static string? Optional(IConfiguration configuration, string key) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static void EnsureDistinctPorts(ProxyOptions options)
    {
        // Listeners are told apart by local port, so two keys naming the same port would shadow each other.
        var ports = new List<(string Key, int Port)> { (Keys.AdminPort, options.AdminPort) };
        if (options.Inbound is { } inbound)
        {
            ports.Add((Keys.InboundPort, inbound.Port));
        }

        ports.AddRange(options.Outbound.Select(o => ($"{Keys.Outbound}:{o.Service}:Port", o.Port)));
        if (options.Gateway is { } gateway)
        {
            ports.Add((Keys.GatewayPort, gateway.Port));
        }

        foreach (var group in ports.GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            var keys = string.Join(" and ", group.Select(p => p.Key));
            throw Error($"{keys} are both port {group.Key}; every listener needs its own port", group.First().Key);
        }
    }

    private static ProxyConfigurationException Error(string message, string key) =>
        new($"{message} (environment variable {MeshEnvironment.ToEnvironmentVariable(key)}).");
}
