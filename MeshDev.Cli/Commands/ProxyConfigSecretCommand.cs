using System.CommandLine;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl proxy-config secret PROXY (istioctl's name): the proxy's workload certificate chain and the trust bundle it
/// checks peers against, from its admin /certs. json and yaml print /certs as the proxy wrote it (public certificates
/// only: a proxy's key never leaves it).
/// </summary>
public static class ProxyConfigSecretCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var proxy = new Argument<string>("proxy") { Description = "The proxy's id, as proxy-status lists it" };
        var command = new Command("secret", "The proxy's workload certificate chain and trust bundle, from its /certs") { proxy };
        CommandAction.Set(command, options, console, async (parse, context, ct) =>
        {
            var proxyId = parse.GetValue(proxy)!;
            var certs = await ProxyConfigCommand.ReadAdminAsync(context, proxyId, "certs", "certificates", ct);
            if (context.Format != OutputFormat.Table)
            {
                StructuredWriter.Write(context.Out, context.Format, certs);
                return ExitCodes.Success;
            }

            SecretTables.Secrets(certs, DateTimeOffset.UtcNow).WriteTo(context.Out);
            if (SecretTables.Note(proxyId, certs) is { } note)
            {
                await context.Error.WriteLineAsync(note);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
