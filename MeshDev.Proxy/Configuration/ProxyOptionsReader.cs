using System.Globalization;
using System.Net;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using MeshDev.Proxy.Identity;
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
            HealthPort = Optional(configuration, Keys.HealthPort) is null ? null : Port(configuration, Keys.HealthPort, modeName),
            Inbound = mode == ProxyMode.Sidecar ? ReadInbound(configuration) : null,
            Outbound = mode == ProxyMode.Sidecar ? ReadOutbound(configuration) : [],
            Gateway = mode == ProxyMode.Gateway ? ReadGateway(configuration) : null,
            Tuning = ReadTuning(configuration),
        };
        options = options with { Identity = ReadIdentity(configuration, options) };
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
            throw Error($"{Keys.InboundProtocol} is \"{protocolValue}\"; expected {ServiceProtocols.Expected}", Keys.InboundProtocol);
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
            AppUri(configuration, protocol),
            healthPath,
            AdvertiseHost(configuration));
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
                throw Error($"{protocolKey} is \"{protocolValue}\"; expected {ServiceProtocols.Expected}", protocolKey);
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

    /// <summary>The workload identity, when a bootstrap token is given; the token itself is never echoed in an error.</summary>
    private static WorkloadIdentityOptions? ReadIdentity(IConfiguration configuration, ProxyOptions options)
    {
        if (Optional(configuration, Keys.IdentityToken) is not { } token)
        {
            return null;
        }

        var trustDomain = Optional(configuration, Keys.TrustDomain) ?? MeshEnvironment.DefaultTrustDomain;
        var serviceAccount = Optional(configuration, Keys.ServiceAccount) ?? options.Service;
        var id = new SpiffeId(trustDomain, options.Namespace, serviceAccount);
        if (!SpiffeId.TryParse(id.ToString(), out _) || !Uri.TryCreate(id.ToString(), UriKind.Absolute, out _)
            || trustDomain.Contains('/') || serviceAccount.Contains('/') || options.Namespace.Contains('/'))
        {
            throw Error(
                $"the workload identity \"{id}\" made of {Keys.TrustDomain}, {Keys.Namespace} and {Keys.ServiceAccount} is not a valid SPIFFE ID",
                Keys.ServiceAccount);
        }

        TimeSpan? lifetime = null;
        if (Optional(configuration, Keys.CertificateLifetime) is { } value)
        {
            lifetime = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1 && seconds < TimeSpan.MaxValue.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.FromSeconds(1)
                    ? span
                    : throw Error($"{Keys.CertificateLifetime} is \"{value}\"; expected a duration of at least one second, like 01:00:00 or 3600", Keys.CertificateLifetime);
        }

        return new WorkloadIdentityOptions(id, new BootstrapCredential(token), lifetime);
    }

    private static ProxyTuningOptions ReadTuning(IConfiguration configuration)
    {
        var defaults = new ProxyTuningOptions();
        return new ProxyTuningOptions
        {
            HealthProbeInterval = Duration(configuration, "HealthProbeInterval", defaults.HealthProbeInterval),
            HealthProbeTimeout = Duration(configuration, "HealthProbeTimeout", defaults.HealthProbeTimeout),
            HealthProbeMissesToFail = Count(configuration, "HealthProbeMissesToFail", defaults.HealthProbeMissesToFail),
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

    /// <summary>A whole number of at least 1.</summary>
    private static int Count(IConfiguration configuration, string name, int fallback)
    {
        var key = $"{TuningSection}:{name}";
        var value = Optional(configuration, key);
        if (value is null)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1
            ? count
            : throw Error($"{key} is \"{value}\"; expected a whole number of at least 1", key);
    }

    /// <summary>An address peers can dial: an IP, neither a wildcard nor a name only this machine resolves.</summary>
    private static string? AdvertiseHost(IConfiguration configuration)
    {
        var key = Keys.InboundAdvertiseAddress;
        if (Optional(configuration, key) is not { } value)
        {
            return null;
        }
        if (IPAddress.TryParse(value.Trim('[', ']'), out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            return value;
        }
        throw Error($"{key} is \"{value}\"; expected the IP address peers reach this instance at (in a pod, its IP)", key);
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

    /// <summary>
    /// The app's address: an http:// URL, or for a TCP service also tcp://host:port (what an Aspire endpoint with the
    /// tcp scheme resolves to); a TCP app is reached at its host and port alone.
    /// </summary>
    private static Uri AppUri(IConfiguration configuration, ServiceProtocol protocol)
    {
        var value = Required(configuration, Keys.AppAddress, "sidecar");
        if (!ServiceProtocols.IsTcp(protocol))
        {
            return HttpUri(configuration, Keys.AppAddress, value);
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "tcp" or "http" && uri.Port is >= 1 and <= 65535)
        {
            return uri;
        }

        throw Error($"{Keys.AppAddress} is \"{value}\"; expected tcp://host:port for a TCP service, e.g. tcp://127.0.0.1:5000", Keys.AppAddress);
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
        if (options.HealthPort is { } healthPort)
        {
            ports.Add((Keys.HealthPort, healthPort));
        }
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
