using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Api.Access;
using MeshDev.Tests.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

[assembly: HostingStartup(typeof(FaultsHostingStartup))]

namespace MeshDev.Tests.Faults;

/// <summary>
/// Puts the fault into a control plane that runs as its own process: the compiler's decorator, and
/// <c>PUT|DELETE /test-faults/invalid-snapshot/{proxyId}</c> (bearer API token required) to switch it.
/// </summary>
public sealed class FaultsHostingStartup : IHostingStartup
{
    public const string PathPrefix = "/test-faults/invalid-snapshot/";

    /// <summary>The environment a control plane process needs to load this assembly.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment => new Dictionary<string, string>
    {
        ["DOTNET_STARTUP_HOOKS"] = typeof(FaultsHostingStartup).Assembly.Location,
        ["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"] = typeof(FaultsHostingStartup).Assembly.GetName().Name!,
    };

    public void Configure(IWebHostBuilder builder) => builder.ConfigureServices(services =>
    {
        services.AddInvalidSnapshotFaults();
        services.AddSingleton<IStartupFilter, FaultEndpoints>();
    });

    private sealed class FaultEndpoints : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var request = context.Request;
                if (!request.Path.StartsWithSegments(PathPrefix.TrimEnd('/'), out var rest)
                    || !(HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method)))
                {
                    await nextMiddleware(context);
                    return;
                }

                var token = context.RequestServices.GetRequiredService<ApiToken>();
                var header = request.Headers.Authorization.ToString();
                if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !token.Matches(header["Bearer ".Length..]))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }

                var proxyId = rest.Value!.Trim('/');
                var faults = context.RequestServices.GetRequiredService<InvalidSnapshotFaults>();
                if (HttpMethods.IsPut(request.Method) ? faults.Enable(proxyId) : faults.Disable(proxyId))
                {
                    // The fault is an input of the compile like any other: its change reaches the proxy through the scheduler.
                    context.RequestServices.GetRequiredService<MeshChangeSignal>().Publish(MeshChangeKind.CompileInput);
                }

                context.Response.StatusCode = StatusCodes.Status204NoContent;
            });
            next(app);
        };
    }
}
