using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Net.Http.Headers;
using Grpc.Net.Client;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// A real control plane in this process, on OS-chosen loopback ports. <see cref="Http"/> carries the API token, read
/// as a user would: the configured one, or the file the control plane wrote when none was configured.
/// </summary>
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
        var configured = app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()[MeshEnvironment.ControlPlane.ApiToken];
        var token = app.Services.GetRequiredService<ApiToken>();
        ApiToken = token.GeneratedFile is { } file ? File.ReadAllText(file) : configured!.Trim();
        Http = CreateHttpClient(HttpAddress, ApiToken);
        Grpc = CreateGrpcChannel(GrpcAddress);
    }

    /// <summary>The client every test talks to a control plane's HTTP API with, in-process or a real process: it carries the API token.</summary>
    public static HttpClient CreateHttpClient(Uri httpAddress, string apiToken)
    {
        var client = new HttpClient { BaseAddress = httpAddress, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiToken);
        return client;
    }

    public static GrpcChannel CreateGrpcChannel(Uri grpcAddress) => GrpcChannel.ForAddress(grpcAddress);

    public Uri HttpAddress { get; }
    public Uri GrpcAddress { get; }
    /// <summary>The control plane's API credential.</summary>
    public string ApiToken { get; }

    /// <summary>A client with the token.</summary>
    public HttpClient Http { get; }

    /// <summary>A client of the HTTP API without any credential, for tests of what it refuses.</summary>
    public HttpClient Anonymous() => new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The link that logs a browser into the dashboard, as meshctl dashboard prints it.</summary>
    public Uri DashboardLoginLink => new(HttpAddress, $"/login?t={Uri.EscapeDataString(ApiToken)}");

    /// <summary>A client that logged in as a browser does, through the dashboard's /login?t= link, and holds its cookie.</summary>
    public async Task<HttpClient> DashboardSessionAsync()
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = HttpAddress,
            Timeout = TimeSpan.FromSeconds(10),
        };
        using var login = await client.GetAsync(DashboardLoginLink);
        login.EnsureSuccessStatusCode();
        return client;
    }
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
