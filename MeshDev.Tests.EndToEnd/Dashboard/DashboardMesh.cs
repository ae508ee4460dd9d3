using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Dashboard;

/// <summary>
/// A real control plane (in this process) and real proxy processes in front of small test apps: productpage's
/// sidecar calling details and reviews (v1 and v2), and the ingress gateway, all connected and in sync.
/// </summary>
public sealed class DashboardMesh : IAsyncLifetime
{
    public static readonly string[] ProxyIds =
        ["details-v1-sidecar", "gateway", "productpage-v1-sidecar", "reviews-v1-sidecar", "reviews-v2-sidecar"];

    private readonly List<IAsyncDisposable> _parts = [];
    private ControlPlaneHost? _controlPlane;

    public ControlPlaneHost ControlPlane => _controlPlane ?? throw new InvalidOperationException("The mesh has not started.");

    public Chromium Chromium { get; } = new();

    public async Task InitializeAsync()
    {
        _controlPlane = await ControlPlaneHost.StartAsync();
        var grpc = ControlPlane.GrpcAddress;

        async Task<ProxyProcess> Sidecar(string proxyId, string service, string version, Func<ProxySettings, ProxySettings>? configure = null)
        {
            var app = await TestBackend.StartHealthyAppAsync();
            _parts.Add(app);
            var settings = ProxySettings.Sidecar(proxyId, service, grpc, app.Url).Set("Mesh:Labels:version", version);
            var proxy = await ProxyProcess.StartAsync(configure?.Invoke(settings) ?? settings);
            _parts.Add(proxy);
            return proxy;
        }

        await Sidecar("details-v1-sidecar", "details", "v1");
        await Sidecar("reviews-v1-sidecar", "reviews", "v1");
        await Sidecar("reviews-v2-sidecar", "reviews", "v2");
        await Sidecar("productpage-v1-sidecar", "productpage", "v1",
            s => s.WithOutbound("details", FreePort.Next()).WithOutbound("reviews", FreePort.Next()));
        var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("gateway", grpc, FreePort.Next()));
        _parts.Add(gateway);

        await WaitInSyncAsync(0);
        await Chromium.InitializeAsync();
    }

    public async Task<JsonObject[]> ProxiesAsync() =>
        [.. (await ControlPlane.Http.GetFromJsonAsync<JsonArray>("/api/v1/proxies"))!.OfType<JsonObject>()];

    public async Task<long> ConfigVersionAsync() =>
        (long)(await ControlPlane.Http.GetFromJsonAsync<JsonObject>("/api/v1/config"))!["configVersion"]!;

    /// <summary>Every proxy connected and in sync with a snapshot compiled from <paramref name="configVersion"/> or later.</summary>
    public Task WaitInSyncAsync(long configVersion) => Eventually.ValueAsync(ProxiesAsync,
        proxies => ProxyIds.All(id => proxies.Any(p => (string?)p["id"] == id && (bool)p["connected"]! && (bool)p["inSync"]!
            && (long?)p["configVersion"] >= configVersion)),
        TimeSpan.FromSeconds(30));

    public async Task DisposeAsync()
    {
        await Chromium.DisposeAsync();
        foreach (var part in Enumerable.Reverse(_parts))
        {
            await part.DisposeAsync();
        }

        if (_controlPlane is not null)
        {
            await _controlPlane.DisposeAsync();
        }
    }
}
