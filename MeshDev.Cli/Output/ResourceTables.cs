using System.Text.Json.Nodes;
using MeshDev.Cli.Commands;
using MeshDev.Cli.Manifests;

namespace MeshDev.Cli.Output;

/// <summary>The `get` table of each kind: the fields a reader scans for first, as istioctl and kubectl show them.</summary>
public static class ResourceTables
{
    public static Table For(ResourceKind? kind, IEnumerable<JsonObject> resources, bool qualifyNames)
    {
        var table = kind?.Kind switch
        {
            "VirtualService" => new Table("NAME", "NAMESPACE", "HOSTS", "GATEWAYS", "SOURCE"),
            "DestinationRule" => new Table("NAME", "NAMESPACE", "HOST", "SUBSETS", "SOURCE"),
            "Gateway" => new Table("NAME", "NAMESPACE", "HOSTS", "PORTS", "SOURCE"),
            "PeerAuthentication" => new Table("NAME", "NAMESPACE", "MODE", "SELECTOR", "SOURCE"),
            "AuthorizationPolicy" => new Table("NAME", "NAMESPACE", "ACTION", "SELECTOR", "RULES", "SOURCE"),
            "RequestAuthentication" => new Table("NAME", "NAMESPACE", "ISSUERS", "SELECTOR", "SOURCE"),
            _ => new Table("NAME", "NAMESPACE", "SOURCE"),
        };

        foreach (var resource in resources.OrderBy(GetCommand.Namespace, StringComparer.Ordinal).ThenBy(Name, StringComparer.Ordinal))
        {
            var name = qualifyNames ? ResourceKinds.Qualified(GetCommand.Kind(resource), Name(resource)) : Name(resource);
            var ns = GetCommand.Namespace(resource);
            var source = (string?)resource["source"];
            var spec = resource["spec"] as JsonObject;
            switch (kind?.Kind)
            {
                case "VirtualService":
                    table.Add(name, ns, Join(spec?["hosts"]), Join(spec?["gateways"]), source);
                    break;
                case "DestinationRule":
                    table.Add(name, ns, (string?)spec?["host"], Join(spec?["subsets"], s => (string?)s?["name"]), source);
                    break;
                case "Gateway":
                    var servers = (spec?["servers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                    table.Add(name, ns,
                        string.Join(",", servers.SelectMany(s => Values(s["hosts"], h => (string?)h)).Distinct()),
                        string.Join(",", servers.Select(s => s["port"]?["number"]?.ToString()).Where(p => p is not null).Distinct()),
                        source);
                    break;
                case "PeerAuthentication":
                    table.Add(name, ns, (string?)spec?["mtls"]?["mode"] ?? "UNSET", Selector(spec), source);
                    break;
                case "AuthorizationPolicy":
                    table.Add(name, ns, (string?)spec?["action"] ?? "ALLOW", Selector(spec), ((spec?["rules"] as JsonArray)?.Count ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture), source);
                    break;
                case "RequestAuthentication":
                    table.Add(name, ns, Join(spec?["jwtRules"], r => (string?)r?["issuer"]), Selector(spec), source);
                    break;
                default:
                    table.Add(name, ns, source);
                    break;
            }
        }

        return table;
    }

    /// <summary>"app=reviews" for a workload selector; empty when the policy covers its whole namespace.</summary>
    private static string Selector(JsonObject? spec) =>
        string.Join(",", (spec?["selector"]?["matchLabels"] as JsonObject ?? []).Select(l => $"{l.Key}={l.Value}"));

    private static string Name(JsonObject resource) => (string?)resource["metadata"]?["name"] ?? "?";

    private static string Join(JsonNode? array, Func<JsonNode?, string?>? select = null) =>
        string.Join(",", Values(array, select ?? (n => n?.ToString())));

    private static IEnumerable<string> Values(JsonNode? array, Func<JsonNode?, string?> select) =>
        (array as JsonArray ?? []).Select(select).OfType<string>();
}
