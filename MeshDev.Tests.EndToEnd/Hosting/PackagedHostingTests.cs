using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.EndToEnd;

namespace MeshDev.Tests.Hosting;

/// <summary>
/// A team's own AppHost takes MeshDev.Hosting as a NuGet package and references no MeshDev project; the proxy and
/// control plane come with the package. This packs MeshDev, builds such an AppHost in a fresh folder, runs it
/// under Aspire, and talks to the mesh it started.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PackagedHostingTests
{
    [Fact]
    public async Task An_AppHost_that_only_references_the_MeshDev_Hosting_package_runs_a_mesh()
    {
        var root = Repository.Root();
        var work = Directory.CreateTempSubdirectory("meshdev-user-");
        try
        {
            var feed = Path.Combine(work.FullName, "feed");
            var version = $"0.0.0-test.{Environment.ProcessId}";
            foreach (var project in new[] { "MeshDev.Core", "MeshDev.Hosting" })
            {
                await RunAsync(root, "dotnet", "pack", Path.Combine(root, project, $"{project}.csproj"),
                    "-c", Configuration, "-o", feed, $"-p:PackageVersion={version}");
            }

            var appHost = Path.Combine(work.FullName, "UserAppHost");
            Directory.CreateDirectory(appHost);
            await File.WriteAllTextAsync(Path.Combine(appHost, "UserAppHost.csproj"), $$"""
                <Project Sdk="Aspire.AppHost.Sdk/13.6.4">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <NoWarn>$(NoWarn);ASPIRE010;NU1603</NoWarn>
                    <RestoreAdditionalProjectSources>{{feed}}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Aspire.Hosting.AppHost" Version="13.6.5" />
                    <PackageReference Include="Polly.Core" Version="8.8.0" />
                    <PackageReference Include="Nerdbank.MessagePack" Version="1.3.88" />
                    <PackageReference Include="MeshDev.Hosting" Version="{{version}}" />
                  </ItemGroup>
                </Project>
                """);
            // A control plane and a gateway: both programs must come out of the package.
            await File.WriteAllTextAsync(Path.Combine(appHost, "Program.cs"), """
                var builder = DistributedApplication.CreateBuilder(args);
                builder.AddMeshControlPlane("mesh", httpPort: 15081);
                builder.AddMeshGateway("gateway", port: 9081);
                builder.Build().Run();
                """);
            // Outside this repository's Directory.Build.props and central package versions, as a user's would be.
            await RunAsync(appHost, "dotnet", "build", "-c", "Release");

            using var run = StartAppHost(appHost);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var proxies = await PollAsync(async () =>
            {
                var list = await http.GetFromJsonAsync<JsonElement[]>("http://localhost:15081/api/v1/proxies");
                return list?.FirstOrDefault(p => p.GetProperty("id").GetString() == "gateway") is { ValueKind: JsonValueKind.Object } gateway
                    && gateway.GetProperty("connected").GetBoolean() ? list : null;
            }, TimeSpan.FromMinutes(2), run);
            Assert.Equal("gateway", Assert.Single(proxies).GetProperty("mode").GetString());

            // The gateway proxy that came out of the package answers on its port: no route matches, so 404.
            using var response = await http.GetAsync("http://localhost:9081/anything");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static AppHostProcess StartAppHost(string directory)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        // The built program itself, not 'dotnet run', so that a SIGTERM reaches Aspire directly.
        start.ArgumentList.Add(Path.Combine(directory, "bin", "Release", "net10.0", "UserAppHost.dll"));
        start.Environment["ASPNETCORE_URLS"] = "http://localhost:18898";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://localhost:18899";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        return new AppHostProcess(Process.Start(start)!);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, AppHostProcess run) where T : class
    {
        string last = "no answer";
        return (await Eventually.ValueAsync(async () =>
        {
            if (run.Process.HasExited)
            {
                Assert.Fail($"The user's AppHost exited ({run.Process.ExitCode}):\n{run.Output}");
            }
            try
            {
                return await probe();
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
                return null;
            }
        }, result => result is not null, timeout, "the user's mesh to come up", () => $"({last})\n{run.Output}"))!;
    }

    private static async Task RunAsync(string directory, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    /// <summary>The user's AppHost, stopped (with everything it started) when the test ends.</summary>
    private sealed class AppHostProcess : IDisposable
    {
        private readonly System.Text.StringBuilder _output = new();

        public AppHostProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (_output) { return _output.ToString(); } } }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                // SIGTERM lets Aspire stop its orchestrator and every resource; a kill would orphan them.
                using var term = System.Diagnostics.Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                term.WaitForExit();
                if (!Process.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    Process.Kill(entireProcessTree: true);
                }
            }
            Process.Dispose();
        }
    }
}
