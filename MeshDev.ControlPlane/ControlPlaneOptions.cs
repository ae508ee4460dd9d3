using System.Globalization;
using MeshDev.Core;

namespace MeshDev.ControlPlane;

/// <summary>The control plane's settings, read once from configuration with errors that name the key.</summary>
public sealed class ControlPlaneOptions
{
    public const int DefaultHttpPort = 15080;
    public const int DefaultGrpcPort = 15010;

    /// <summary>Address the listeners bind: "localhost" (default) binds loopback, "*" binds every interface.</summary>
    public const string BindAddressKey = Core.MeshEnvironment.ControlPlane.BindAddress;

    public int HttpPort { get; init; } = DefaultHttpPort;
    public int GrpcPort { get; init; } = DefaultGrpcPort;
    public string BindAddress { get; init; } = "localhost";
    public TimeSpan DisconnectGracePeriod { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan PushDebounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long after start proxies that already run a snapshot keep it; longer than a proxy's reconnect backoff.</summary>
    public TimeSpan StartupWarmup { get; init; } = DefaultStartupWarmup;

    public const string StartupWarmupKey = "Mesh:ControlPlane:StartupWarmup";
    public static readonly TimeSpan DefaultStartupWarmup = TimeSpan.FromSeconds(6);

    /// <summary>Host names the HTTP API answers to besides loopback ones (<see cref="MeshEnvironment.ControlPlane.AllowedHosts"/>).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Mesh services the AppHost declares; with the registered ones, the hosts config may name.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>Folder of Istio YAML files to load and watch; null when none is set.</summary>
    public string? ConfigDirectory { get; init; }

    public static ControlPlaneOptions FromConfiguration(IConfiguration configuration) => new()
    {
        HttpPort = ReadPort(configuration, MeshEnvironment.ControlPlane.HttpPort, DefaultHttpPort),
        GrpcPort = ReadPort(configuration, MeshEnvironment.ControlPlane.GrpcPort, DefaultGrpcPort),
        BindAddress = configuration[BindAddressKey] is { Length: > 0 } bind ? bind.Trim() : "localhost",
        DisconnectGracePeriod = ReadDuration(configuration, MeshEnvironment.ControlPlane.DisconnectGracePeriod, TimeSpan.FromSeconds(10)),
        PushDebounce = ReadDuration(configuration, MeshEnvironment.ControlPlane.PushDebounce, TimeSpan.FromMilliseconds(100)),
        StartupWarmup = ReadDuration(configuration, StartupWarmupKey, DefaultStartupWarmup),
        AllowedHosts = ReadAllowedHosts(configuration),
        Services = configuration.GetSection(MeshEnvironment.ControlPlane.Services).GetChildren()
            .Select(c => c.Value?.Trim()).OfType<string>().Where(s => s.Length > 0).ToList(),
        ConfigDirectory = configuration[MeshEnvironment.ControlPlane.ConfigDirectory] is { Length: > 0 } folder ? Path.GetFullPath(folder.Trim()) : null,
    };

    private static List<string> ReadAllowedHosts(IConfiguration configuration)
    {
        var hosts = (configuration[MeshEnvironment.ControlPlane.AllowedHosts] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var host in hosts)
        {
            if (host.Contains('/') || host.Contains('*') || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw new InvalidOperationException(
                    $"Configuration '{MeshEnvironment.ControlPlane.AllowedHosts}' names '{host}'; expected comma-separated host names without scheme, port or wildcard, e.g. 'meshdev-controlplane,meshdev-controlplane.default.svc'.");
            }
        }

        return [.. hosts];
    }

    private static int ReadPort(IConfiguration configuration, string key, int defaultPort)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultPort;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new InvalidOperationException($"Configuration '{key}' is '{text}'; expected a port number from 0 to 65535.");
        }

        return port;
    }

    /// <summary>Accepts a TimeSpan ("00:00:10", "00:00:00.250") or a number of seconds ("10", "0.25").</summary>
    internal static TimeSpan ReadDuration(IConfiguration configuration, string key, TimeSpan defaultValue)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultValue;
        }

        // A bare number would parse as days with TimeSpan.Parse; people mean seconds.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var duration) && duration >= TimeSpan.Zero)
        {
            return duration;
        }

        throw new InvalidOperationException(
            $"Configuration '{key}' is '{text}'; expected a non-negative duration such as '00:00:10' or a number of seconds such as '10'.");
    }
}
