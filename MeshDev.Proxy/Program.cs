using MeshDev.Proxy;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Telemetry;

// MeshDev's proxy: a sidecar beside one app, or the mesh's gateway. Configuration comes from the Mesh:* keys
// (Mesh__* environment variables) that the hosting integration sets; see MeshDev.Core.MeshEnvironment.

// The proxy opens exactly the listeners its Mesh:* keys name. Kestrel would otherwise also report (and warn about)
// addresses inherited from the hosting environment, which a proxy launched by an orchestrator often carries.
foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
{
    Environment.SetEnvironmentVariable(inherited, null);
}

var builder = WebApplication.CreateSlimBuilder(args);

ProxyOptions options;
try
{
    options = ProxyOptionsReader.Read(builder.Configuration);
}
catch (ProxyConfigurationException e)
{
    Console.Error.WriteLine($"meshdev-proxy: {e.Message}");
    return 2;
}

builder.WebHost.ConfigureKestrel(kestrel => KestrelListeners.Configure(
    kestrel,
    kestrel.ApplicationServices.GetRequiredService<ListenerDispatcher>(),
    kestrel.ApplicationServices.GetService<MeshDev.Proxy.Inbound.Tls.InboundConnectionSecurity>()));

// Per-request forwarding logs would drown a developer's console; failures are logged by the proxy itself.
builder.Logging.AddFilter("Yarp", LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Grpc", LogLevel.Warning);

builder.Services.AddMeshProxy(options);
builder.AddMeshTelemetry(options);

var app = builder.Build();
app.Run(app.Services.GetRequiredService<ListenerDispatcher>().DispatchAsync);

try
{
    await app.StartAsync();
}
catch (IOException e)
{
    // Kestrel reports a taken port this way; say which listener could not open and stop.
    app.Logger.LogCritical("meshdev-proxy could not open its listeners: {Reason}", e.Message);
    return 1;
}

app.Logger.LogInformation("MeshDev proxy {ProxyId} ({Mode}) serving {Service}; listeners: {Listeners}.",
    options.ProxyId, options.Mode.ToString().ToLowerInvariant(), options.Service,
    string.Join(", ", app.Services.GetRequiredService<ListenerDispatcher>().Listeners.Select(l => $"{l.Name} {l.Address}")));
await app.WaitForShutdownAsync();
return 0;
