using System.CommandLine;
using System.Text.Json.Nodes;
using MeshDev.Cli.Output;
using MeshDev.Core.Api;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl ca root|certificates: the mesh's certificate authority, from the control plane's GET /api/v1/ca and
/// /api/v1/certificates. json and yaml print the API's answer as it came.
/// </summary>
public static class CaCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var command = new Command("ca", "Show the mesh's certificate authority and the certificates it issued");

        var root = new Command("root", "The CA's trust domain, root (generated or user-supplied) and what it signed and refused");
        CommandAction.Set(root, options, console, async (_, context, ct) =>
        {
            var response = await context.Api.GetAsync("api/v1/ca", ct);
            var ca = ProxyLookup.Expect(response, MeshApiJsonContext.Default.CaResponse, "the certificate authority");
            Print(context, response.Body!, () => SecretTables.Authority(ca));
            return ExitCodes.Success;
        });

        var certificates = new Command("certificates", "The latest certificate issued to each proxy: identity, serial, validity, renewals");
        CommandAction.Set(certificates, options, console, async (_, context, ct) =>
        {
            var response = await context.Api.GetAsync("api/v1/certificates", ct);
            var issued = ProxyLookup.Expect(response, MeshApiJsonContext.Default.IssuedCertificateResponseArray, "the issued certificates");
            if (issued.Length == 0 && context.Format == OutputFormat.Table)
            {
                await context.Error.WriteLineAsync("No certificates issued.");
                return ExitCodes.Success;
            }

            Print(context, response.Body!, () => SecretTables.Issued(issued));
            return ExitCodes.Success;
        });

        command.Subcommands.Add(root);
        command.Subcommands.Add(certificates);
        return command;
    }

    private static void Print(CommandContext context, JsonNode answer, Func<Table> table)
    {
        if (context.Format == OutputFormat.Table)
        {
            table().WriteTo(context.Out);
        }
        else
        {
            StructuredWriter.Write(context.Out, context.Format, answer);
        }
    }
}
