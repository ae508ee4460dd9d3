using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using MeshDev.Proxy.Configuration;
using MeshDev.Tests.ControlPlane;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// MeshDev.Proxy running as a real process (dotnet MeshDev.Proxy.dll), configured through environment variables
/// exactly as the hosting integration starts it, with its admin listener at hand.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProxyProcess(Process process, ProxySettings settings)
    {
        _process = process;
        Settings = settings;
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{settings.AdminPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public ProxySettings Settings { get; }

    public HttpClient Admin { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The proxy's assembly as the test build references it.</summary>
    public static string ProxyAssemblyPath
    {
        get
        {
            var path = typeof(ProxyOptions).Assembly.Location;
            return File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json"))
                ? path
                : throw new InvalidOperationException($"{path} has no runtimeconfig.json next to it; build MeshDev.Proxy.");
        }
    }

    /// <summary>Starts the proxy and waits until its admin listener answers.</summary>
    public static async Task<ProxyProcess> StartAsync(ProxySettings settings)
    {
        var proxy = new ProxyProcess(Launch(settings), settings);
        proxy.CaptureOutput();
        await Eventually.TrueAsync(async () =>
        {
            if (proxy.HasExited)
            {
                throw new InvalidOperationException($"The proxy exited with code {proxy._process.ExitCode} while starting:\n{proxy.Output}");
            }

            try
            {
                using var response = await proxy.Admin.GetAsync("/stats");
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the proxy's admin listener to answer", TimeSpan.FromSeconds(20), () => $"Proxy output:\n{proxy.Output}");
        return proxy;
    }

    /// <summary>Runs a proxy that is expected to stop by itself (bad configuration) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(ProxySettings settings)
    {
        await using var proxy = new ProxyProcess(Launch(settings), settings);
        proxy.CaptureOutput();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await proxy._process.WaitForExitAsync(timeout.Token);
        return (proxy._process.ExitCode, proxy.Output);
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAdminAsync(string path)
    {
        using var response = await Admin.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonElement> ConfigDumpAsync() => JsonDocument.Parse((await GetAdminAsync("/config_dump")).Body).RootElement;

    public async Task<JsonElement> StatsAsync() => JsonDocument.Parse((await GetAdminAsync("/stats?format=json")).Body).RootElement;

    public async Task<long> CounterAsync(string name) =>
        (await StatsAsync()).GetProperty("counters").TryGetProperty(name, out var value) ? value.GetInt64() : 0;

    /// <summary>Polls until the condition holds, failing with the proxy's output when it never does.</summary>
    public Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout ?? TimeSpan.FromSeconds(15), () => $"Proxy output:\n{Output}");

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static Process Launch(ProxySettings settings)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProxyAssemblyPath);
        foreach (var (name, value) in settings.EnvironmentVariables())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the proxy process.");
    }

    private void CaptureOutput()
    {
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
