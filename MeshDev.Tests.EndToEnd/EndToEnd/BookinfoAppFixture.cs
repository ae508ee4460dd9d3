using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using MeshDev.Tests.ControlPlane;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// The real MeshDev.AppHost (Bookinfo, seven sidecars, the gateway and the control plane), started through
/// Aspire.Hosting.Testing and waited on until every proxy reports ready.
/// </summary>
public class BookinfoAppFixture : IAsyncLifetime
{
    private static readonly string[] BookinfoWorkloads =
        ["productpage-v1", "details-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"];

    /// <summary>The AppHost's workloads, each with a sidecar named "&lt;workload&gt;-sidecar".</summary>
    public virtual IReadOnlyList<string> Workloads => BookinfoWorkloads;

    public static readonly Uri Gateway = new("http://localhost:9080");
    public static readonly Uri ControlPlane = new("http://localhost:15080");

    private DistributedApplication? _app;
    private string? _apiToken;
    private string? _appHostDirectory;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>
    /// The tests' client: to the control plane's address it adds the API token, as meshctl would; to the gateway, the apps
    /// and the proxies' admin listeners it sends none.
    /// </summary>
    public HttpClient Http { get; }

    /// <summary>The control plane's API token, read where the AppHost put it for meshctl: .meshdev/api-token beside the AppHost.</summary>
    public string ApiToken => _apiToken ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>The file the AppHost wrote the API token to.</summary>
    public string ApiTokenFile => Path.Combine(
        _appHostDirectory ?? throw new InvalidOperationException("The AppHost has not been built."), ".meshdev", "api-token");

    public BookinfoAppFixture()
    {
        Http = new HttpClient(new ControlPlaneCredential(() => _apiToken) { InnerHandler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false } })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public IEnumerable<string> ProxyNames =>
        Workloads.Select(workload => $"{workload}-sidecar").Append("gateway");

    public async Task InitializeAsync()
    {
        // Every run starts from Bookinfo's own config: what an earlier run applied and never reverted (a run stopped half
        // way) would otherwise be read back from the control plane's data folder.
        var applied = Path.Combine(Repository.Root(), "MeshDev.AppHost", ".meshdev", "mesh", "config");
        if (Directory.Exists(applied))
        {
            Directory.Delete(applied, recursive: true);
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MeshDev_AppHost>(
            ["--environment", "Testing"]);
        builder.Services.ConfigureHttpClientDefaults(http => http.ConfigureHttpClient(client => client.Timeout = TimeSpan.FromSeconds(30)));
        _appHostDirectory = builder.AppHostDirectory;
        ConfigureControlPlane(builder);
        ConfigureAppHost(builder);

        _app = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await _app.StartAsync(startup.Token);
        _apiToken = (await File.ReadAllTextAsync(ApiTokenFile, startup.Token)).Trim();
        foreach (var proxy in ProxyNames.Append("mesh"))
        {
            try
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(proxy, startup.Token);
            }
            catch (OperationCanceledException) when (proxy != "mesh")
            {
                // Say why: a proxy's /ready names what it still waits for (snapshot, certificate, app health).
                throw new TimeoutException($"{proxy} did not become ready: {await ReadinessOfAsync(proxy)}");
            }
        }
        await WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Where a fixture adds to the AppHost's model before it is built (extra workloads, settings).</summary>
    protected virtual void ConfigureAppHost(IDistributedApplicationTestingBuilder builder)
    {
    }

    private async Task<string> ReadinessOfAsync(string proxy)
    {
        try
        {
            var admin = App.GetEndpoint(proxy, "admin");
            using var response = await Http.GetAsync(new Uri(admin, "/ready"));
            return $"/ready answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return $"its admin listener did not answer ({exception.Message})";
        }
    }

    /// <summary>A short disconnect grace period keeps the tests that stop workloads quick.</summary>
    private static void ConfigureControlPlane(IDistributedApplicationTestingBuilder builder)
    {
        var controlPlane = builder.Resources.OfType<MeshDev.Hosting.MeshControlPlaneResource>().Single();
        builder.CreateResourceBuilder(controlPlane)
            .WithEnvironment("Mesh__ControlPlane__DisconnectGracePeriod", "00:00:05");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async Task<string> GetPageAsync(string path = "/productpage", string? userCookie = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway, path));
        if (userCookie is not null)
        {
            request.Headers.Add("Cookie", $"user={userCookie}");
        }
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>
    /// A product page that has its reviews line. productpage gives up on reviews after two 3 s attempts, which a
    /// loaded machine causes with nothing wrong in the mesh; such a page is fetched again until one has the line,
    /// for up to 30 s, so a mesh that really cuts reviews off still fails the test.
    /// </summary>
    public async Task<BookinfoPage> GetReviewedPageAsync(string? userCookie = null) =>
        (await Eventually.ValueAsync(async () => BookinfoPage.TryParse(await GetPageAsync(userCookie: userCookie)),
            page => page is not null, TimeSpan.FromSeconds(30)))!;

    public async Task<JsonElement[]> GetProxiesAsync() =>
        await Http.GetFromJsonAsync<JsonElement[]>(new Uri(ControlPlane, "/api/v1/proxies"))
        ?? throw new InvalidOperationException("The control plane returned no proxies.");

    public async Task<JsonElement> GetProxyAsync(string id) =>
        (await GetProxiesAsync()).Single(proxy => proxy.GetProperty("id").GetString() == id);

    /// <summary>The proxy as the control plane lists it, or null while it is not registered (e.g. between a restart and its reconnect).</summary>
    public async Task<JsonElement?> FindProxyAsync(string id) =>
        (await GetProxiesAsync()).Where(proxy => proxy.GetProperty("id").GetString() == id).Select(proxy => (JsonElement?)proxy).SingleOrDefault();

    /// <summary>Counters of one proxy, read from its own admin listener (found through the control plane's API).</summary>
    public async Task<ProxyStats> GetStatsAsync(string proxyId)
    {
        var adminUrl = (await GetProxyAsync(proxyId)).GetProperty("adminUrl").GetString()!;
        var stats = await Http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(adminUrl), "/stats?format=json"));
        return new ProxyStats(stats);
    }

    public async Task<JsonElement> GetConfigDumpAsync(string proxyId)
    {
        var adminUrl = (await GetProxyAsync(proxyId)).GetProperty("adminUrl").GetString()!;
        return await Http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(adminUrl), "/config_dump"));
    }

    /// <summary>
    /// The loopback address at which <paramref name="proxyId"/> takes its app's calls to <paramref name="service"/>:
    /// a client here is that app calling http://&lt;service&gt;.
    /// </summary>
    public async Task<Uri> GetOutboundListenerAsync(string proxyId, string service)
    {
        var dump = await GetConfigDumpAsync(proxyId);
        var listener = dump.GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("direction").GetString() == "outbound" && l.GetProperty("service").GetString() == service);
        return new Uri($"http://{listener.GetProperty("address").GetString()}");
    }

    /// <summary>
    /// Waits until every proxy is connected and has ACKed the version it was last sent, compiled from mesh config
    /// version <paramref name="configVersion"/> or later.
    /// </summary>
    public async Task<TimeSpan> WaitForMeshInSyncAsync(TimeSpan timeout, long configVersion = 0)
    {
        var started = TimeProvider.System.GetTimestamp();
        string last = "no answer yet";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                var proxies = await GetProxiesAsync();
                var states = ProxyNames.Select(name => proxies.FirstOrDefault(p => p.GetProperty("id").GetString() == name)).ToArray();
                last = string.Join("; ", ProxyNames.Zip(states, (name, p) => p.ValueKind == JsonValueKind.Undefined
                    ? $"{name}: not registered"
                    : $"{name}: connected={p.GetProperty("connected")} sent={p.GetProperty("sentVersion")} acked={p.GetProperty("ackedVersion")} config={p.GetProperty("configVersion")}"));
                return states.All(p => p.ValueKind != JsonValueKind.Undefined
                    && p.GetProperty("connected").GetBoolean()
                    && p.GetProperty("inSync").GetBoolean()
                    && p.GetProperty("ackedVersion").GetString() is { Length: > 0 }
                    && p.GetProperty("configVersion") is { ValueKind: JsonValueKind.Number } compiledFrom
                    && compiledFrom.GetInt64() >= configVersion);
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
                return false;
            }
        }, "the mesh to converge", timeout, () => last);
        return TimeProvider.System.GetElapsedTime(started);
    }

    /// <summary>A property of a resource as the Aspire dashboard shows it, or null when it has none (yet).</summary>
    public string? ResourceProperty(string resource, string name) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString()
            : null;

    /// <summary>The resource's state text in the Aspire dashboard (Running, Exited, ...).</summary>
    public string? ResourceState(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state) ? state.Snapshot.State?.Text : null;

    /// <summary>The process id of a running executable or project resource, as Aspire reports it.</summary>
    public int? ProcessIdOf(string resource) =>
        int.TryParse(ResourceProperty(resource, "executable.pid"), System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>
    /// The "Mesh dashboard" link the Aspire dashboard shows on the control plane's resource: what a user clicks to open
    /// the mesh dashboard logged in.
    /// </summary>
    public Uri DashboardLoginLink =>
        App.ResourceNotifications.TryGetCurrentState("mesh", out var state)
        && state.Snapshot.Urls.FirstOrDefault(url => url.Name == MeshDev.Hosting.MeshControlPlaneResource.HttpEndpointName && !url.IsInternal) is { } link
            ? new Uri(link.Url)
            : throw new InvalidOperationException("The control plane's resource shows no dashboard link.");

    /// <summary>Runs an Aspire resource command (start, stop, ...) as the dashboard's buttons do.</summary>
    public async Task ExecuteAsync(string resource, string command)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, command);
        Assert.True(result.Success, $"{command} on {resource} failed: {result.Message}");
    }
}

/// <summary>Adds the control plane's API token to requests for the control plane's address, and to no other.</summary>
internal sealed class ControlPlaneCredential(Func<string?> token) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && uri.Authority == BookinfoAppFixture.ControlPlane.Authority
            && request.Headers.Authorization is null && token() is { } value)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", value);
        }
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>A proxy's /stats?format=json.</summary>
public sealed class ProxyStats(JsonElement stats)
{
    public long Counter(string name) =>
        stats.GetProperty("counters").TryGetProperty(name, out var value) ? value.GetInt64() : 0;

    public long HistogramCount(string name) =>
        stats.GetProperty("histograms").TryGetProperty(name, out var value) ? value.GetProperty("count").GetInt64() : 0;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostCollection
{
    /// <summary>Each AppHost owns localhost:9080 and :15080, so the classes that start one run one at a time.</summary>
    public const string Name = "AppHost";
}
