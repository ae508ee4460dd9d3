using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using MeshDev.ControlPlane;
using MeshDev.Core;
using Microsoft.AspNetCore.Builder;

namespace MeshDev.Tests.ControlPlane;

/// <summary>A real control plane in this process, on OS-chosen loopback ports.</summary>
public sealed class ControlPlaneHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _ownedDataDirectory;

    private ControlPlaneHost(WebApplication app, string? ownedDataDirectory)
    {
        _app = app;
        _ownedDataDirectory = ownedDataDirectory;
        var listeners = app.GetListeners();
        HttpAddress = listeners.HttpAddress;
        GrpcAddress = listeners.GrpcAddress;
        Http = CreateHttpClient(HttpAddress);
        Grpc = CreateGrpcChannel(GrpcAddress);
    }

    /// <summary>The client every test talks to a control plane's HTTP API with, in-process or a real process.</summary>
    public static HttpClient CreateHttpClient(Uri httpAddress) => new() { BaseAddress = httpAddress, Timeout = TimeSpan.FromSeconds(10) };

    public static GrpcChannel CreateGrpcChannel(Uri grpcAddress) => GrpcChannel.ForAddress(grpcAddress);

    public Uri HttpAddress { get; }
    public Uri GrpcAddress { get; }
    public HttpClient Http { get; }
    public GrpcChannel Grpc { get; }

    public static Task<ControlPlaneHost> StartAsync(
        TimeSpan? gracePeriod = null, TimeSpan? debounce = null, params string[] extraArgs) =>
        StartAsync(extraArgs, configureServices: null, gracePeriod, debounce);

    /// <summary>
    /// Starts a control plane; unless <paramref name="extraArgs"/> names a data folder, it gets a fresh temporary one
    /// (its CA root lives there), deleted when the host is disposed.
    /// </summary>
    public static async Task<ControlPlaneHost> StartAsync(
        string[] extraArgs, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices,
        TimeSpan? gracePeriod = null, TimeSpan? debounce = null)
    {
        var ownedDataDirectory = extraArgs.Any(a => a.StartsWith($"--{MeshEnvironment.ControlPlane.DataDirectory}=", StringComparison.Ordinal))
            ? null
            : Directory.CreateTempSubdirectory("meshdev-controlplane-").FullName;
        string[] args =
        [
            $"--{MeshEnvironment.ControlPlane.HttpPort}=0",
            $"--{MeshEnvironment.ControlPlane.GrpcPort}=0",
            $"--{MeshEnvironment.ControlPlane.DisconnectGracePeriod}={gracePeriod ?? TimeSpan.FromSeconds(30)}",
            $"--{MeshEnvironment.ControlPlane.PushDebounce}={debounce ?? TimeSpan.FromMilliseconds(50)}",
            "--Logging:LogLevel:Default=Warning",
            .. ownedDataDirectory is null ? Array.Empty<string>() : new[] { $"--{MeshEnvironment.ControlPlane.DataDirectory}={ownedDataDirectory}" },
            .. extraArgs,
        ];
        try
        {
            var app = ControlPlaneApp.Build(args, configureServices);
            await app.StartAsync();
            return new ControlPlaneHost(app, ownedDataDirectory);
        }
        catch when (ownedDataDirectory is not null)
        {
            Directory.Delete(ownedDataDirectory, recursive: true);
            throw;
        }
    }

    public IServiceProvider Services => _app.Services;

    public Task<TestProxy> ConnectAsync(Core.Discovery.ProxyHello hello) => TestProxy.ConnectAsync(Grpc, hello);

    public async Task<JsonArray> GetArrayAsync(string path) =>
        (await Http.GetFromJsonAsync<JsonArray>(path))!;

    public async Task<JsonObject?> FindProxyAsync(string proxyId) =>
        (await GetArrayAsync("/api/v1/proxies")).OfType<JsonObject>().SingleOrDefault(p => (string?)p["id"] == proxyId);

    public async Task<JsonObject?> FindServiceAsync(string name) =>
        (await GetArrayAsync("/api/v1/services")).OfType<JsonObject>().SingleOrDefault(s => (string?)s["name"] == name);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Grpc.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownedDataDirectory is not null)
        {
            Directory.Delete(_ownedDataDirectory, recursive: true);
        }
    }
}
