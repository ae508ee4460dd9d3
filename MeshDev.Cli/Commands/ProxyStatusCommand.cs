using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>meshctl proxy-status [PROXY]: where each proxy's config stands, from GET /api/v1/proxies.</summary>
public static class ProxyStatusCommand
{
    public static Command Create(GlobalOptions options, CliConsole console)
    {
        var proxy = new Argument<string?>("proxy") { Description = "Only this proxy (its id)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("proxy-status", "Show every proxy and whether it runs the config last sent to it") { proxy };
        CommandAction.Set(command, options, console, async (parse, context, ct) =>
        {
            var proxies = parse.GetValue(proxy) is { } id
                ? [await ProxyLookup.GetAsync(context, id, ct)]
                : ProxyLookup.Expect<JsonArray>(await context.Api.GetAsync("api/v1/proxies", ct), "the proxies").OfType<JsonObject>().ToList();

            if (context.Format != OutputFormat.Table)
            {
                StructuredWriter.Write(context.Out, context.Format, new JsonArray(proxies.Select(p => (JsonNode?)p.DeepClone()).ToArray()));
                return ExitCodes.Success;
            }

            var table = new Table("NAME", "SERVICE", "MODE", "CONNECTED", "SENT", "ACKED", "STATUS");
            foreach (var p in proxies.OrderBy(p => (string?)p["id"], StringComparer.Ordinal))
            {
                table.Add((string?)p["id"], (string?)p["service"], (string?)p["mode"], Flag(p["connected"]),
                    (string?)p["sentVersion"], (string?)p["ackedVersion"], Status(p));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// SYNCED: the proxy ACKed what it was sent. NACKED: it refused the version it was sent (lastNack stays as
    /// history, so only a NACK of the current version counts). STALE: anything else — nothing sent yet, no answer
    /// yet, or disconnected.
    /// </summary>
    public static string Status(JsonObject proxy)
    {
        var sent = (string?)proxy["sentVersion"];
        if (proxy["lastNack"] is JsonObject nack && sent is not null && (string?)nack["version"] == sent && (string?)proxy["ackedVersion"] != sent)
        {
            return $"NACKED: {(string?)nack["reason"]}";
        }

        return proxy["inSync"] is JsonValue inSync && inSync.TryGetValue<bool>(out var synced) && synced && proxy["connected"]?.GetValue<bool>() != false
            ? "SYNCED"
            : "STALE";
    }

    private static string Flag(JsonNode? value) => value is JsonValue v && v.TryGetValue<bool>(out var b) ? (b ? "yes" : "no") : "?";
}

/// <summary>GET /api/v1/proxies/{id}, with an unknown id reported by name.</summary>
public static class ProxyLookup
{
    public static async Task<JsonObject> GetAsync(CommandContext context, string id, CancellationToken cancellationToken)
    {
        var response = await context.Api.GetAsync($"api/v1/proxies/{Uri.EscapeDataString(id)}", cancellationToken);
        if (response.Status == HttpStatusCode.NotFound)
        {
            throw new MeshctlException($"no proxy named '{id}' is registered with the control plane at {context.Api.BaseAddress.ToString().TrimEnd('/')}");
        }

        return Expect<JsonObject>(response, $"proxy '{id}'");
    }

    public static T Expect<T>(Api.ApiResponse response, string what) where T : JsonNode =>
        response.IsSuccess && response.Body is T body
            ? body
            : throw new MeshctlException($"the control plane did not return {what} (HTTP {(int)response.Status}): {response.ErrorText}");
}
