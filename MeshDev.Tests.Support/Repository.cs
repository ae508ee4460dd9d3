using System.Diagnostics;

namespace MeshDev.Tests;

/// <summary>The checkout the tests run from, the build configuration they were built in, and running its tools.</summary>
public static class Repository
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The folder that holds MeshDev.sln, found upward from the test's output folder.</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No MeshDev.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs a program to its end (three minutes at most); its standard output and error, in that order.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
