using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MeshDev.Cli.Output;
using MeshDev.Core.Api;

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
            IReadOnlyList<ProxyResponse> proxies;
            JsonArray answer;
            if (parse.GetValue(proxy) is { } id)
            {
                var response = await ProxyLookup.GetAsync(context, id, ct);
                proxies = [ProxyLookup.Expect(response, MeshApiJsonContext.Default.ProxyResponse, $"proxy '{id}'")];
                answer = [response.Body!.DeepClone()];
            }
            else
            {
                var response = await context.Api.GetAsync("api/v1/proxies", ct);
                proxies = ProxyLookup.Expect(response, MeshApiJsonContext.Default.ProxyResponseArray, "the proxies");
                answer = (JsonArray)response.Body!.DeepClone();
            }

            if (context.Format != OutputFormat.Table)
            {
                StructuredWriter.Write(context.Out, context.Format, answer);
                return ExitCodes.Success;
            }

            var table = new Table("NAME", "SERVICE", "MODE", "CONNECTED", "SENT", "ACKED", "STATUS");
            foreach (var p in proxies.OrderBy(p => p.Id, StringComparer.Ordinal))
            {
                table.Add(p.Id, p.Service, p.Mode, p.Connected ? "yes" : "no", p.SentVersion, p.AckedVersion, Status(p));
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
    public static string Status(ProxyResponse proxy)
    {
        var sent = proxy.SentVersion;
        if (proxy.LastNack is { } nack && sent is not null && nack.Version == sent && proxy.AckedVersion != sent)
        {
            return $"NACKED: {nack.Reason}";
        }

        return proxy.InSync && proxy.Connected ? "SYNCED" : "STALE";
    }
}

/// <summary>GET /api/v1/proxies/{id}, with an unknown id reported by name.</summary>
public static class ProxyLookup
{
    /// <summary>The answer for proxy <paramref name="id"/>; read it with <see cref="Expect{T}"/>.</summary>
    public static async Task<Api.ApiResponse> GetAsync(CommandContext context, string id, CancellationToken cancellationToken)
    {
        var response = await context.Api.GetAsync($"api/v1/proxies/{Uri.EscapeDataString(id)}", cancellationToken);
        if (response.Status == HttpStatusCode.NotFound)
        {
            throw new MeshctlException($"no proxy named '{id}' is registered with the control plane at {context.Api.BaseAddress.ToString().TrimEnd('/')}");
        }

        return response;
    }

    /// <summary>The proxy the control plane returned for <paramref name="id"/>.</summary>
    public static async Task<ProxyResponse> GetProxyAsync(CommandContext context, string id, CancellationToken cancellationToken) =>
        Expect(await GetAsync(context, id, cancellationToken), MeshApiJsonContext.Default.ProxyResponse, $"proxy '{id}'");

    /// <summary>A successful answer of the API's shape <typeparamref name="T"/>, or an error naming <paramref name="what"/>.</summary>
    public static T Expect<T>(Api.ApiResponse response, JsonTypeInfo<T> type, string what) where T : class =>
        response.IsSuccess && response.TryRead(type) is { } body
            ? body
            : throw new MeshctlException($"the control plane did not return {what} (HTTP {(int)response.Status}): {response.ErrorText}");
}
