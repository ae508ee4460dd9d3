using System.CommandLine;
using System.CommandLine.Parsing;
using MeshDev.Cli.Commands;

namespace MeshDev.Cli;

/// <summary>meshctl's command tree and its entry point, which tests call in-process with their own streams.</summary>
public static class MeshctlApp
{
    public static RootCommand BuildCommand(CliConsole console, Func<string, string?> environment, string workingDirectory)
    {
        var options = new GlobalOptions(environment, workingDirectory);
        var root = new RootCommand($"""
            meshctl: configure and inspect a MeshDev mesh through its control plane's HTTP API.

            {ExitCodes.HelpText}
            """);
        options.AddTo(root);
        root.Subcommands.Add(ApplyCommand.Create(options, console));
        root.Subcommands.Add(DeleteCommand.Create(options, console));
        root.Subcommands.Add(GetCommand.Create(options, console));
        root.Subcommands.Add(AnalyzeCommand.Create(options, console));
        root.Subcommands.Add(ProxyStatusCommand.Create(options, console));
        root.Subcommands.Add(ProxyConfigCommand.Create(options, console));
        root.Subcommands.Add(CaCommand.Create(options, console));
        root.Subcommands.Add(DashboardCommand.Create(options, console));
        root.Subcommands.Add(KubeCommand.Create(console));
        return root;
    }

    public static Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default) =>
        RunAsync(args, console, Environment.GetEnvironmentVariable, Environment.CurrentDirectory, cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliConsole console, Func<string, string?> environment, string workingDirectory,
        CancellationToken cancellationToken = default)
    {
        var root = BuildCommand(console, environment, workingDirectory);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        if (parse.Errors.Count == 0)
        {
            return await parse.InvokeAsync(invocation, cancellationToken);
        }

        // Bad usage: say what is wrong, then show the help of the command that was meant, all on stderr.
        foreach (var error in parse.Errors)
        {
            await console.Error.WriteLineAsync($"meshctl: {error.Message}");
        }

        await console.Error.WriteLineAsync();
        root.Parse([.. CommandPath(parse.CommandResult), "--help"])
            .Invoke(new InvocationConfiguration { Output = console.Error, Error = console.Error });
        return ExitCodes.UsageOrUnreachable;
    }

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current.Parent is CommandResult parent; current = parent)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }
}
