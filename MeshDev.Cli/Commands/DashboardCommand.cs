using System.CommandLine;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl dashboard: prints the link that logs a browser into the mesh dashboard (<c>/login?t=&lt;token&gt;</c>), built
/// from the control plane address and API token meshctl found, for when the Aspire dashboard is not at hand.
/// </summary>
public static class DashboardCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var command = new Command("dashboard", "Print the link that logs a browser into the mesh dashboard (it holds the API token)");
        command.SetAction(async (parse, _) =>
        {
            var address = parse.GetValue(options.ControlPlane)!.TrimEnd('/');
            if (parse.GetValue(options.Token) is not { Length: > 0 } token)
            {
                await console.Error.WriteLineAsync(
                    $"meshctl: no API token found: pass --token, set {GlobalOptions.TokenVariable}, or run meshctl in the AppHost's folder " +
                    $"(or one below it), where a run writes {GlobalOptions.TokenFile}.");
                return ExitCodes.UsageOrUnreachable;
            }

            await console.Out.WriteLineAsync($"{address}/login?t={Uri.EscapeDataString(token)}");
            return ExitCodes.Success;
        });
        return command;
    }
}
