using System.CommandLine;
using System.Text.Json.Nodes;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl proxy-config routes|clusters|listeners|endpoints|secret PROXY: asks the control plane where the proxy's admin
/// listener is, reads its /config_dump (/certs for secret), and shows one part of it. json and yaml print that part as
/// the proxy wrote it.
/// </summary>
public static class ProxyConfigCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var command = new Command("proxy-config", "Show the configuration a proxy is running, from its /config_dump");
        command.Subcommands.Add(Part(options, console, "routes", "The route tables (VirtualService http routes) per listener", ProxyConfigTables.Routes,
            dump => dump["snapshot"]?["routeTables"]));
        command.Subcommands.Add(Part(options, console, "clusters", "The clusters: one per upstream service, with load balancer and subsets", ProxyConfigTables.Clusters,
            dump => dump["snapshot"]?["clusters"]));
        command.Subcommands.Add(Part(options, console, "endpoints", "Every endpoint of every cluster, with labels and health", ProxyConfigTables.Endpoints,
            dump => dump["snapshot"]?["clusters"]));
        command.Subcommands.Add(Part(options, console, "listeners", "The listeners the proxy has open", ProxyConfigTables.Listeners,
            dump => dump["listeners"]));
        command.Subcommands.Add(ProxyConfigSecretCommand.Create(options, console));
        return command;
    }

    private static Command Part(GlobalOptions options, CliConsole console, string name, string description,
        Func<JsonArray, Table> table, Func<JsonObject, JsonNode?> select)
    {
        var proxy = new Argument<string>("proxy") { Description = "The proxy's id, as proxy-status lists it" };
        var command = new Command(name, description) { proxy };
        CommandAction.Set(command, options, console, async (parse, context, ct) =>
        {
            var dump = await ReadConfigDumpAsync(context, parse.GetValue(proxy)!, ct);
            var part = select(dump) as JsonArray ?? [];
            if (name == "endpoints" && context.Format != OutputFormat.Table)
            {
                part = ProxyConfigTables.FlattenEndpoints(part);
            }

            if (context.Format == OutputFormat.Table)
            {
                table(part).WriteTo(context.Out);
            }
            else
            {
                StructuredWriter.Write(context.Out, context.Format, part);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Task<JsonObject> ReadConfigDumpAsync(CommandContext context, string proxyId, CancellationToken cancellationToken) =>
        ReadAdminAsync(context, proxyId, "config_dump", "config dump", cancellationToken);

    /// <summary>A JSON page of the proxy's admin listener, found through the admin URL the proxy registered with the control plane.</summary>
    internal static async Task<JsonObject> ReadAdminAsync(CommandContext context, string proxyId, string path, string what, CancellationToken cancellationToken)
    {
        var proxy = await ProxyLookup.GetProxyAsync(context, proxyId, cancellationToken);
        if (proxy.AdminUrl is not { Length: > 0 } adminUrl || !Uri.TryCreate(adminUrl, UriKind.Absolute, out var admin))
        {
            throw new MeshctlException($"proxy '{proxyId}' reported no usable admin URL ({proxy.AdminUrl ?? "none"})");
        }

        var response = await context.Api.GetElsewhereAsync(new Uri(admin, path), $"the admin listener of proxy '{proxyId}'", cancellationToken);
        return response.IsSuccess && response.Body is JsonObject page
            ? page
            : throw new MeshctlException($"proxy '{proxyId}' returned no {what} from {admin} (HTTP {(int)response.Status}): {response.ErrorText}");
    }
}
