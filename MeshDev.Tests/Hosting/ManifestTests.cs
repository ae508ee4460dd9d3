using System.Diagnostics;
using System.Text.Json.Nodes;

namespace MeshDev.Tests.Hosting;

/// <summary>The committed aspire-manifest.json is, byte for byte, what the AppHost's manifest publisher emits today.</summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task The_committed_manifest_matches_what_the_AppHost_emits()
    {
        var root = RepositoryRoot();
        var committed = Path.Combine(root, "aspire-manifest.json");
        // Written beside the committed one, so the relative project paths inside come out the same.
        var emitted = Path.Combine(root, $".aspire-manifest.{Environment.ProcessId}.json");
        try
        {
            var (exitCode, output) = await RunAsync("dotnet",
                ["run", "--project", Path.Combine(root, "MeshDev.AppHost"), "-c", Configuration, "--no-build", "--",
                 "--publisher", "manifest", "--output-path", emitted]);
            Assert.True(exitCode == 0, $"The manifest publisher failed ({exitCode}):\n{output}");

            // Byte for byte: the manifest is a contract with azd and every tool that reads it, its layout included.
            var emittedText = await File.ReadAllTextAsync(emitted);
            var actual = JsonNode.Parse(emittedText);
            Assert.True(string.Equals(await File.ReadAllTextAsync(committed), emittedText, StringComparison.Ordinal),
                "aspire-manifest.json is out of date. Regenerate it with:\n" +
                "  dotnet run --project MeshDev.AppHost -- --publisher manifest --output-path ../aspire-manifest.json\n" +
                $"What the AppHost emits now:\n{actual}");

            // The mesh's own entries are containers of MeshDev's images, their mesh description beside them.
            var resources = actual!["resources"]!.AsObject();
            Assert.Equal(("container.v0", "meshdev/controlplane:latest", "controlPlane"), Entry(resources["mesh"]!));
            Assert.Equal(("container.v0", "meshdev/proxy:latest", "gateway"), Entry(resources["gateway"]!));
            var productpageSidecar = resources["productpage-v1-sidecar"]!;
            Assert.Equal(("container.v0", "meshdev/proxy:latest", "sidecar"), Entry(productpageSidecar));
            Assert.Equal("productpage-v1", (string?)productpageSidecar["meshdev"]!["app"]);
            Assert.Equal(["details", "ratings", "reviews"], productpageSidecar["meshdev"]!["upstreams"]!.AsObject().Select(p => p.Key));
            Assert.DoesNotContain(root, actual.ToJsonString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(emitted);
        }
    }

    private static (string?, string?, string?) Entry(JsonNode entry) =>
        ((string?)entry["type"], (string?)entry["image"], (string?)entry["meshdev"]!["kind"]);

    /// <summary>What the AppHost's manifest publisher emits now.</summary>
    internal static async Task<JsonNode> EmitAsync()
    {
        var root = RepositoryRoot();
        var emitted = Path.Combine(root, $".aspire-manifest.{Environment.ProcessId}.{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = await RunAsync("dotnet",
                ["run", "--project", Path.Combine(root, "MeshDev.AppHost"), "-c", Configuration, "--no-build", "--",
                 "--publisher", "manifest", "--output-path", emitted]);
            Assert.True(exitCode == 0, $"The manifest publisher failed ({exitCode}):\n{output}");
            return JsonNode.Parse(await File.ReadAllTextAsync(emitted))!;
        }
        finally
        {
            File.Delete(emitted);
        }
    }

#if DEBUG
    internal const string Configuration = "Debug";
#else
    internal const string Configuration = "Release";
#endif

    internal static string RepositoryRoot()
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

    internal static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments)
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
