using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>A small real HTTP server on 127.0.0.1 with an OS-assigned port, standing in for an app or an instance.</summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>host:port, the form snapshot endpoints take.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>An app whose /health answers 200, for sidecars whose app is not what a test looks at.</summary>
    public static Task<TestBackend> StartHealthyAppAsync() =>
        StartAsync(context => context.Response.WriteAsync("app"));

    public static Task<TestBackend> StartAsync(RequestDelegate handler, bool http2 = false) =>
        StartAsync(http2, configureServices: null, app => app.Run(handler));

    public static async Task<TestBackend> StartAsync(bool http2, Action<IServiceCollection>? configureServices, Action<WebApplication> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, o => o.Protocols = http2 ? HttpProtocols.Http2 : HttpProtocols.Http1));
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestBackend(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
