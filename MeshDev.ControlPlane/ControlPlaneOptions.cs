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

    /// <summary>
    /// How long one snapshot may take to reach a proxy's stream. A proxy that does not read (hung, or flooding nothing
    /// but never draining) holds at most this one write; then its stream is closed and it reconnects.
    /// </summary>
    public TimeSpan PushWriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public const string PushWriteTimeoutKey = "Mesh:ControlPlane:PushWriteTimeout";

    /// <summary>How long a new StreamConfig stream may wait for its ProxyHello before it is closed.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public const string HelloTimeoutKey = "Mesh:ControlPlane:HelloTimeout";

    /// <summary>Mesh services the AppHost declares; with the registered ones, the hosts config may name.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>Folder of Istio YAML files to load and watch; null when none is set.</summary>
    public string? ConfigDirectory { get; init; }

    /// <summary>
    /// Where the control plane keeps its state: the generated CA root (<c>ca/</c>) and the config applied through the
    /// API (<c>config/</c>). Null only for options made by hand, which then keep no state.
    /// </summary>
    public string? DataDirectory { get; init; }

    public static ControlPlaneOptions FromConfiguration(IConfiguration configuration) => new()
    {
        DataDirectory = ReadDataDirectory(configuration),
        HttpPort = ReadPort(configuration, MeshEnvironment.ControlPlane.HttpPort, DefaultHttpPort),
        GrpcPort = ReadPort(configuration, MeshEnvironment.ControlPlane.GrpcPort, DefaultGrpcPort),
        BindAddress = configuration[BindAddressKey] is { Length: > 0 } bind ? bind.Trim() : "localhost",
        DisconnectGracePeriod = ReadDuration(configuration, MeshEnvironment.ControlPlane.DisconnectGracePeriod, TimeSpan.FromSeconds(10)),
        PushDebounce = ReadDuration(configuration, MeshEnvironment.ControlPlane.PushDebounce, TimeSpan.FromMilliseconds(100)),
        StartupWarmup = ReadDuration(configuration, StartupWarmupKey, DefaultStartupWarmup),
        PushWriteTimeout = ReadDuration(configuration, PushWriteTimeoutKey, TimeSpan.FromSeconds(10)),
        HelloTimeout = ReadDuration(configuration, HelloTimeoutKey, TimeSpan.FromSeconds(10)),
        AllowedHosts = ReadAllowedHosts(configuration),
        Services = configuration.GetSection(MeshEnvironment.ControlPlane.Services).GetChildren()
            .Select(c => c.Value?.Trim()).OfType<string>().Where(s => s.Length > 0).ToList(),
        ConfigDirectory = configuration[MeshEnvironment.ControlPlane.ConfigDirectory] is { Length: > 0 } folder ? Path.GetFullPath(folder.Trim()) : null,
    };

    /// <summary>The configured data folder, or the per-user default, as a full path.</summary>
    public static string ReadDataDirectory(IConfiguration configuration) =>
        Path.GetFullPath(configuration[MeshEnvironment.ControlPlane.DataDirectory] is { } value && value.Trim() is { Length: > 0 } folder
            ? folder
            : DefaultDataDirectory());

    /// <summary>
    /// Where the control plane keeps its state when nothing is configured: a per-user folder, the same for every run,
    /// so a standalone control plane keeps one root and one applied config. The AppHost always sets its own folder.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        var localData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(localData))
        {
            throw new InvalidOperationException(
                $"This user has no local application data folder; set '{MeshEnvironment.ControlPlane.DataDirectory}' to the folder where " +
                "the control plane keeps its certificate authority and applied config.");
        }

        return Path.Combine(localData, "MeshDev", "ControlPlane");
    }

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
