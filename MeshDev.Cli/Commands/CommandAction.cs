using System.CommandLine;

namespace MeshDev.Cli.Commands;

/// <summary>Runs a command's body with its context and turns a <see cref="MeshctlException"/> into its line and exit code.</summary>
public static class CommandAction
{
    public static void Set(Command command, GlobalOptions options, CliConsole console,
        Func<ParseResult, CommandContext, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var context = CommandContext.From(parse, options, console);
                return await body(parse, context, cancellationToken);
            }
            catch (MeshctlException ex)
            {
                await console.Error.WriteLineAsync($"meshctl: {ex.Message}");
                return ex.ExitCode;
            }
        });
    }
}
