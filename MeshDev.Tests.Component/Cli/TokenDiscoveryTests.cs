using System.Net;
using MeshDev.Cli;
using MeshDev.Cli.Commands;
using MeshDev.Core;
using MeshDev.Tests.ControlPlane;

namespace MeshDev.Tests.Cli;

/// <summary>
/// meshctl finds the control plane's API token the way it finds the control plane: --token, else MESHDEV_API_TOKEN,
/// else .meshdev/api-token in the working folder, a folder directly inside it, or one above it (where an AppHost run writes it).
/// </summary>
public sealed class TokenDiscoveryTests : IDisposable
{
    private const string Token = "api-token-of-the-meshctl-tests-0123";

    private readonly DirectoryInfo _appHost = Directory.CreateTempSubdirectory("meshctl-apphost-");

    private static Task<ControlPlaneHost> StartAsync() => ControlPlaneHost.StartAsync(extraArgs:
        [$"--{MeshEnvironment.ControlPlane.ApiToken}={Token}", $"--{MeshEnvironment.ControlPlane.Services}:0=reviews"]);

    private string WriteTokenFile(string token)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_appHost.FullName, ".meshdev"));
        var file = Path.Combine(folder.FullName, "api-token");
        File.WriteAllText(file, token + "\n");
        return file;
    }

    [Fact]
    public async Task Meshctl_finds_the_token_in_the_meshdev_api_token_file_of_the_working_folder_or_one_above_it()
    {
        await using var controlPlane = await StartAsync();
        WriteTokenFile(Token);
        var below = Directory.CreateDirectory(Path.Combine(_appHost.FullName, "src", "deeper")).FullName;
        var yaml = Path.Combine(_appHost.FullName, "reviews.yaml");
        File.WriteAllText(yaml, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n");

        var fromTheFolder = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", controlPlane.HttpAddress.ToString()], workingDirectory: _appHost.FullName);
        var fromBelow = await Meshctl.RunRawAsync(["apply", "-f", yaml, "--control-plane", controlPlane.HttpAddress.ToString()], workingDirectory: below);

        Assert.True(fromTheFolder.ExitCode == 0, fromTheFolder.ToString());
        Assert.True(fromBelow.ExitCode == 0, fromBelow.ToString());
        Assert.Contains("virtualservice.networking.istio.io/reviews created", fromBelow.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Meshctl_run_from_a_solution_folder_finds_the_token_of_the_AppHost_project_inside_it_the_newest_first()
    {
        await using var controlPlane = await StartAsync();
        // A solution folder as this repository is laid out: the AppHost project one level down, beside other projects;
        // a second AppHost whose file is older (an earlier run) must not win.
        var solution = Directory.CreateDirectory(Path.Combine(_appHost.FullName, "solution")).FullName;
        Directory.CreateDirectory(Path.Combine(solution, "Shop.Api"));
        var older = Path.Combine(Directory.CreateDirectory(Path.Combine(solution, "Old.AppHost", ".meshdev")).FullName, "api-token");
        File.WriteAllText(older, "a-token-from-an-earlier-run-0123456\n");
        File.SetLastWriteTimeUtc(older, DateTime.UtcNow.AddHours(-1));
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(solution, "Shop.AppHost", ".meshdev")).FullName, "api-token"), Token + "\n");

        var fromTheSolution = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", controlPlane.HttpAddress.ToString()], workingDirectory: solution);

        Assert.True(fromTheSolution.ExitCode == 0, fromTheSolution.ToString());
    }

    [Fact]
    public async Task Meshctl_takes_the_token_from_MESHDEV_API_TOKEN_and_the_token_option_before_the_file()
    {
        await using var controlPlane = await StartAsync();
        WriteTokenFile("a-token-from-an-earlier-run-0123456");
        var address = controlPlane.HttpAddress.ToString();

        var fromEnvironment = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", address],
            new Dictionary<string, string> { [GlobalOptions.TokenVariable] = Token }, _appHost.FullName);
        var fromOption = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", address, "--token", Token],
            new Dictionary<string, string> { [GlobalOptions.TokenVariable] = "wrong-token-0123456789" }, _appHost.FullName);
        var fromStaleFile = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", address], workingDirectory: _appHost.FullName);

        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.True(fromOption.ExitCode == 0, fromOption.ToString());
        Assert.Equal(ExitCodes.UsageOrUnreachable, fromStaleFile.ExitCode);
        Assert.Contains("not this control plane's API token", fromStaleFile.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_a_write_or_a_certificate_read_is_refused_saying_where_meshctl_looks()
    {
        await using var controlPlane = await StartAsync();

        var result = await Meshctl.RunRawAsync(["ca", "root", "--control-plane", controlPlane.HttpAddress.ToString()]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        var error = result.ErrorLines.Single();
        Assert.StartsWith("meshctl: the control plane at ", error, StringComparison.Ordinal);
        foreach (var place in new[] { "--token", GlobalOptions.TokenVariable, Path.Combine(".meshdev", "api-token"), "found none" })
        {
            Assert.Contains(place, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Meshctl_dashboard_prints_the_link_that_logs_a_browser_in()
    {
        await using var controlPlane = await StartAsync();
        WriteTokenFile(Token);

        var result = await Meshctl.RunRawAsync(["dashboard", "--control-plane", controlPlane.HttpAddress.ToString()], workingDirectory: _appHost.FullName);
        var none = await Meshctl.RunRawAsync(["dashboard"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var link = new Uri(result.OutLines.Single());
        Assert.Equal("/login", link.AbsolutePath);
        using var browser = controlPlane.Anonymous();
        using var login = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(ExitCodes.UsageOrUnreachable, none.ExitCode);
        Assert.Contains(GlobalOptions.TokenVariable, none.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _appHost.Delete(recursive: true);
}
