using MeshDev.Cli;

namespace MeshDev.Tests.Cli;

/// <summary>Help, bad usage and an unreachable control plane: what a user sees before the mesh answers anything.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task Help_lists_every_command_and_the_exit_codes()
    {
        var result = await Meshctl.RunRawAsync(["--help"]);

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "apply", "delete", "get", "analyze", "proxy-status", "proxy-config", "--control-plane", "--output" })
        {
            Assert.Contains(command, result.Out);
        }

        Assert.Contains(ExitCodes.HelpText.Split('\n')[1].Trim(), result.Out);
        Assert.Contains("2  bad usage", result.Out);
    }

    [Fact]
    public async Task No_command_is_bad_usage_with_help_on_stderr()
    {
        var result = await Meshctl.RunRawAsync([]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith("meshctl: ", result.Error);
        Assert.Contains("Usage:", result.Error);
    }

    [Fact]
    public async Task Apply_without_a_file_is_bad_usage_and_shows_apply_help()
    {
        var result = await Meshctl.RunRawAsync(["apply"]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Contains("--filename", result.ErrorLines[0]);
        // The usage line starts with the executable's name, which in-process is the test host's.
        Assert.Contains(" apply [options]", result.Error);
    }

    [Fact]
    public async Task Unknown_output_format_and_unknown_kind_are_bad_usage()
    {
        var format = await Meshctl.RunRawAsync(["get", "vs", "-o", "xml"]);
        Assert.Equal(ExitCodes.UsageOrUnreachable, format.ExitCode);
        Assert.Contains("xml", format.ErrorLines[0]);

        var kind = await Meshctl.RunRawAsync(["get", "pods", "--control-plane", ClosedPort.Url().ToString()]);
        Assert.Equal(ExitCodes.UsageOrUnreachable, kind.ExitCode);
        Assert.Equal("meshctl: unknown resource kind 'pods'; use one of " + MeshDev.Cli.Manifests.ResourceKinds.Names, kind.ErrorLines.Single());
    }

    [Fact]
    public async Task Delete_needs_a_file_or_a_kind_and_a_name()
    {
        var neither = await Meshctl.RunRawAsync(["delete"]);
        var nameMissing = await Meshctl.RunRawAsync(["delete", "vs"]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, neither.ExitCode);
        Assert.Equal("meshctl: delete takes either -f <file> or <kind> <name>", neither.ErrorLines[0]);
        Assert.Equal(ExitCodes.UsageOrUnreachable, nameMissing.ExitCode);
        Assert.Equal("meshctl: delete <kind> <name>: the name is missing", nameMissing.ErrorLines[0]);
    }

    [Fact]
    public async Task Unreachable_control_plane_is_named_with_the_reason_and_exit_code_2()
    {
        var url = ClosedPort.Url();

        var result = await Meshctl.RunRawAsync(["proxy-status", "--control-plane", url.ToString()]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Equal("", result.Out);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"meshctl: cannot reach the control plane at http://127.0.0.1:{url.Port}: ", line);
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_control_plane_address_comes_from_MESHDEV_CONTROL_PLANE_when_not_given()
    {
        var url = ClosedPort.Url();

        var result = await Meshctl.RunRawAsync(["get", "all"], new Dictionary<string, string> { ["MESHDEV_CONTROL_PLANE"] = url.ToString() });

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.StartsWith($"meshctl: cannot reach the control plane at http://127.0.0.1:{url.Port}: ", result.Error);
    }

    [Fact]
    public async Task A_file_that_does_not_exist_is_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"meshctl-missing-{Guid.NewGuid():N}.yaml");

        var result = await Meshctl.RunRawAsync(["apply", "-f", missing, "--control-plane", ClosedPort.Url().ToString()]);

        Assert.Equal(ExitCodes.UsageOrUnreachable, result.ExitCode);
        Assert.Equal($"meshctl: the path {missing} does not exist", result.ErrorLines.Single());
    }
}
