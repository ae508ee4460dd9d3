using MeshDev.Cli;

namespace MeshDev.Tests.Cli;

/// <summary>What one meshctl run printed and returned.</summary>
public sealed record MeshctlResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>
/// Runs meshctl's real entry point in this process, with its own stdout, stderr and stdin, against the control
/// plane at <see cref="ControlPlane"/> with its API token. The environment is empty and the working directory an
/// empty one, so that a developer's MESHDEV_CONTROL_PLANE or .meshdev/api-token cannot leak into a test.
/// </summary>
public sealed class Meshctl(Uri controlPlane, string? apiToken)
{
    /// <summary>meshctl against an in-process control plane, with that control plane's token.</summary>
    public Meshctl(MeshDev.Tests.ControlPlane.ControlPlaneHost controlPlane) : this(controlPlane.HttpAddress, controlPlane.ApiToken)
    {
    }

    public Uri ControlPlane { get; } = controlPlane;

    /// <summary>A folder with nothing in it or above it for meshctl to find.</summary>
    public static string EmptyWorkingDirectory { get; } = Directory.CreateTempSubdirectory("meshctl-cwd-").FullName;

    public Task<MeshctlResult> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public async Task<MeshctlResult> RunWithInputAsync(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] token = apiToken is null ? [] : ["--token", apiToken];
        var exitCode = await MeshctlApp.RunAsync(
            [.. args, "--control-plane", ControlPlane.ToString(), .. token], new CliConsole(new StringReader(stdin), output, error), _ => null,
            EmptyWorkingDirectory);
        return new MeshctlResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>
    /// Runs meshctl exactly as given, with the given environment and working directory (an empty one unless given), for
    /// tests of the global options themselves.
    /// </summary>
    public static async Task<MeshctlResult> RunRawAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await MeshctlApp.RunAsync(
            args, new CliConsole(new StringReader(""), output, error), name => environment?.GetValueOrDefault(name),
            workingDirectory ?? EmptyWorkingDirectory);
        return new MeshctlResult(exitCode, output.ToString(), error.ToString());
    }
}
