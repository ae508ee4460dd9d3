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

    private ControlPlaneHost(WebApplication app)
    {
        _app = app;
        var listeners = app.GetListeners();
        HttpAddress = listeners.HttpAddress;
        GrpcAddress = listeners.GrpcAddress;
        Http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
        Grpc = GrpcChannel.ForAddress(GrpcAddress);
    }

    public Uri HttpAddress { get; }
    public Uri GrpcAddress { get; }
    public HttpClient Http { get; }
    public GrpcChannel Grpc { get; }

    public static async Task<ControlPlaneHost> StartAsync(
        TimeSpan? gracePeriod = null, TimeSpan? debounce = null, params string[] extraArgs)
    {
        string[] args =
        [
            $"--{MeshEnvironment.ControlPlane.HttpPort}=0",
            $"--{MeshEnvironment.ControlPlane.GrpcPort}=0",
            $"--{MeshEnvironment.ControlPlane.DisconnectGracePeriod}={gracePeriod ?? TimeSpan.FromSeconds(30)}",
            $"--{MeshEnvironment.ControlPlane.PushDebounce}={debounce ?? TimeSpan.FromMilliseconds(50)}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var app = ControlPlaneApp.Build(args);
        await app.StartAsync();
        return new ControlPlaneHost(app);
    }

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
    }
}
