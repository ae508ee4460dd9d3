using System.CommandLine;
using System.Text.Json.Nodes;
using MeshDev.Cli.Manifests;
using MeshDev.Cli.Output;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Commands;

/// <summary>meshctl analyze -f: POST /api/v1/analyze per file; valid when no file has an error (warnings allowed).</summary>
public static class AnalyzeCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var files = FileOptions.Create("analyze");
        var command = new Command("analyze", "Validate YAML files against the running config without changing anything")
        {
            files,
        };
        CommandAction.Set(command, options, console, (parse, context, ct) => RunAsync(context, parse.GetValue(files)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(CommandContext context, string[] arguments, CancellationToken cancellationToken)
    {
        var valid = true;
        var results = new JsonArray();
        foreach (var file in ManifestFiles.Read(arguments, context.Console.In))
        {
            var response = await context.Api.PostYamlAsync(
                $"api/v1/analyze?source={Uri.EscapeDataString(file.Source)}", file.Content, cancellationToken);
            if (!response.IsSuccess || response.Body?["valid"] is not JsonValue || response.TryRead(MeshApiJsonContext.Default.AnalyzeResponse) is not { } analysis)
            {
                throw new MeshctlException($"the control plane could not analyze {file.Source} (HTTP {(int)response.Status}): {response.ErrorText}");
            }

            var messages = analysis.Messages ?? [];
            // The control plane's verdict counts; a message marked as an error also fails the run.
            var fileValid = analysis.Valid && !messages.Any(ConfigMessages.IsError);
            valid &= fileValid;
            results.Add(new JsonObject { ["source"] = file.Source, ["valid"] = fileValid, ["messages"] = response.Body["messages"]?.DeepClone() ?? new JsonArray() });

            if (context.Format != OutputFormat.Table)
            {
                continue;
            }

            foreach (var message in messages)
            {
                await context.Out.WriteLineAsync(ConfigMessages.Format(message, file.Source));
            }

            if (messages.Count == 0)
            {
                await context.Out.WriteLineAsync($"✔ No validation issues found when analyzing {file.Source}.");
            }
        }

        if (context.Format != OutputFormat.Table)
        {
            StructuredWriter.Write(context.Out, context.Format, new JsonObject { ["valid"] = valid, ["results"] = results });
        }

        return valid ? ExitCodes.Success : ExitCodes.Failed;
    }
}
