using System.Diagnostics;
using System.Text;
using Grpc.Net.Client;
using MeshDev.ControlPlane;
using MeshDev.Core;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// MeshDev.ControlPlane as a real process (dotnet MeshDev.ControlPlane.dll) on loopback ports chosen up front, so a
/// test can kill it outright (SIGKILL: no shutdown code runs) and start another on the same ports and data folder.
/// </summary>
public sealed class ControlPlaneProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ControlPlaneProcess(Process process, int httpPort, int grpcPort, string apiToken)
    {
        _process = process;
        HttpAddress = new Uri($"http://localhost:{httpPort}");
        GrpcAddress = new Uri($"http://localhost:{grpcPort}");
        Http = ControlPlaneHost.CreateHttpClient(HttpAddress, apiToken);
        Grpc = ControlPlaneHost.CreateGrpcChannel(GrpcAddress);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri HttpAddress { get; }
    public Uri GrpcAddress { get; }
    public HttpClient Http { get; }
    public GrpcChannel Grpc { get; }

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

    /// <summary>Starts the process; it is serving once <see cref="WaitUntilServingAsync"/> returns.</summary>
    public static ControlPlaneProcess Start(string dataDirectory, int httpPort, int grpcPort, params string[] extraArgs)
    {
        // Each start its own credential, as the AppHost gives each run one.
        var apiToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var assembly = typeof(ControlPlaneApp).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.ArgumentList.Add(assembly);
        foreach (var arg in (string[])
        [
            $"--{MeshEnvironment.ControlPlane.HttpPort}={httpPort}",
            $"--{MeshEnvironment.ControlPlane.GrpcPort}={grpcPort}",
            $"--{MeshEnvironment.ControlPlane.DataDirectory}={dataDirectory}",
            $"--{MeshEnvironment.ControlPlane.PushDebounce}=0.05",
            $"--{MeshEnvironment.ControlPlane.ApiToken}={apiToken}",
            .. extraArgs,
        ])
        {
            start.ArgumentList.Add(arg);
        }

        return new ControlPlaneProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the control plane."), httpPort, grpcPort, apiToken);
    }

    public static (int Http, int Grpc) FreePorts() => (FreePort.Next(), FreePort.Next());

    public async Task WaitUntilServingAsync()
    {
        await Eventually.ValueAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The control plane exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync("/api/v1/config");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, serving => serving, TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL: the process ends at once, with no chance to flush or clean up anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Grpc.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
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
