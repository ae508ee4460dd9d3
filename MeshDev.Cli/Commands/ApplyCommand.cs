using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using MeshDev.Cli.Manifests;
using MeshDev.Cli.Output;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl apply -f: each file goes to POST /api/v1/config on its own, so that a refused file names itself and the
/// control plane's all-or-nothing rule holds per file, as a file dropped in the watched folder does.
/// </summary>
public static class ApplyCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var files = FileOptions.Create("apply");
        var command = new Command("apply", "Create or update Istio resources from YAML files (all or nothing per file)")
        {
            files,
        };
        CommandAction.Set(command, options, console, (parse, context, ct) => RunAsync(context, parse.GetValue(files)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(CommandContext context, string[] arguments, CancellationToken cancellationToken)
    {
        var exitCode = ExitCodes.Success;
        var applied = new JsonArray();
        JsonNode? configVersion = null;
        foreach (var file in ManifestFiles.Read(arguments, context.Console.In))
        {
            var response = await context.Api.PostYamlAsync(
                $"api/v1/config?source={Uri.EscapeDataString(file.Source)}", file.Content, cancellationToken);
            if (response.IsSuccess)
            {
                foreach (var item in (response.Body?["applied"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    applied.Add(item.DeepClone());
                }

                if (context.Format == OutputFormat.Table)
                {
                    foreach (var item in response.TryRead(MeshApiJsonContext.Default.ApplyResponse)?.Applied ?? [])
                    {
                        await context.Out.WriteLineAsync($"{ResourceKinds.Qualified(item.Kind ?? "?", item.Name ?? "?")} {item.Action}");
                    }
                }

                configVersion = response.Body?["configVersion"]?.DeepClone();
                continue;
            }

            exitCode = ExitCodes.Failed;
            if (response.Status == HttpStatusCode.BadRequest
                && response.TryRead(MeshApiJsonContext.Default.ConfigErrorResponse)?.Messages is { Count: > 0 } messages)
            {
                foreach (var message in messages)
                {
                    await context.Error.WriteLineAsync(ConfigMessages.Format(message, file.Source));
                }

                await context.Error.WriteLineAsync($"meshctl: {response.ErrorText}; nothing from {file.Source} was applied");
            }
            else
            {
                await context.Error.WriteLineAsync(
                    $"meshctl: the control plane refused {file.Source} (HTTP {(int)response.Status}): {response.ErrorText}");
            }
        }

        if (context.Format != OutputFormat.Table)
        {
            StructuredWriter.Write(context.Out, context.Format, new JsonObject { ["applied"] = applied, ["configVersion"] = configVersion });
        }

        return exitCode;
    }
}
