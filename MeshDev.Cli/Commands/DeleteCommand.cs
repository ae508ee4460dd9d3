using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using MeshDev.Cli.Manifests;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl delete -f FILE | delete KIND NAME [-n NS]: DELETE /api/v1/config/{kind}/{namespace}/{name} per resource.
/// With -f the documents are read here, so a file can be deleted even when the control plane never accepted it.
/// Every resource is tried; any that fails makes the exit code 1.
/// </summary>
public static class DeleteCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var kind = new Argument<string?>("kind") { Description = $"Resource kind: {ResourceKinds.Names}", Arity = ArgumentArity.ZeroOrOne };
        var name = new Argument<string?>("name") { Description = "Resource name", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string>("--namespace", "-n")
        {
            Description = "Namespace of the resource named on the command line",
            DefaultValueFactory = _ => ManifestDocuments.DefaultNamespace,
        };
        var files = FileOptions.Create("delete the resources of");
        files.Required = false;
        var command = new Command("delete", "Delete Istio resources by file (-f) or by kind and name") { kind, name, ns, files };
        command.Validators.Add(result =>
        {
            var byFile = result.GetValue(files) is { Length: > 0 };
            var byName = result.GetValue(kind) is not null;
            if (byFile == byName)
            {
                result.AddError("delete takes either -f <file> or <kind> <name>");
            }
            else if (byName && result.GetValue(name) is null)
            {
                result.AddError("delete <kind> <name>: the name is missing");
            }
        });

        CommandAction.Set(command, options, console, (parse, context, ct) =>
        {
            var targets = parse.GetValue(files) is { Length: > 0 } paths
                ? ManifestFiles.Read(paths, context.Console.In).SelectMany(ManifestDocuments.ReadReferences)
                    .Select(r => (ResourceKinds.Find(r.Kind)?.Kind ?? r.Kind, r.Namespace, r.Name))
                    .ToList()
                : [(ResourceKinds.Parse(parse.GetValue(kind)!).Kind, parse.GetValue(ns)!, parse.GetValue(name)!)];
            return RunAsync(context, targets, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        CommandContext context, IReadOnlyList<(string Kind, string Namespace, string Name)> targets, CancellationToken cancellationToken)
    {
        var exitCode = ExitCodes.Success;
        var deleted = new JsonArray();
        foreach (var (kind, ns, name) in targets)
        {
            var response = await context.Api.DeleteAsync(
                $"api/v1/config/{Uri.EscapeDataString(kind)}/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}", cancellationToken);
            if (response.IsSuccess)
            {
                deleted.Add(response.Body?["deleted"]?.DeepClone());
                if (context.Format == OutputFormat.Table)
                {
                    await context.Out.WriteLineAsync($"{ResourceKinds.Qualified(kind, name)} deleted");
                }

                continue;
            }

            exitCode = ExitCodes.Failed;
            var what = response.Status == HttpStatusCode.NotFound ? "not found" : $"not deleted (HTTP {(int)response.Status})";
            await context.Error.WriteLineAsync($"meshctl: {ResourceKinds.Qualified(kind, name)} in namespace {ns} {what}: {response.ErrorText}");
        }

        if (context.Format != OutputFormat.Table)
        {
            StructuredWriter.Write(context.Out, context.Format, new JsonObject { ["deleted"] = deleted });
        }

        return exitCode;
    }
}
