using System.Text.Json.Nodes;

namespace MeshDev.Cli.Output;

/// <summary>The tables of `proxy-config`, read from the parts of a proxy's /config_dump.</summary>
public static class ProxyConfigTables
{
    public static Table Clusters(JsonArray clusters)
    {
        var table = new Table("NAME", "LB", "PROTOCOL", "ENDPOINTS", "SUBSETS");
        foreach (var cluster in clusters.OfType<JsonObject>())
        {
            table.Add((string?)cluster["name"], (string?)cluster["loadBalancer"], (string?)cluster["protocol"],
                ((cluster["endpoints"] as JsonArray)?.Count ?? 0).ToString(),
                string.Join(",", (cluster["subsets"] as JsonArray ?? []).Select(s => (string?)s?["name"]).OfType<string>()));
        }

        return table;
    }

    public static Table Endpoints(JsonArray clusters)
    {
        var table = new Table("CLUSTER", "ADDRESS", "PROXY", "LABELS", "HEALTH");
        foreach (var endpoint in FlattenEndpoints(clusters).OfType<JsonObject>())
        {
            table.Add((string?)endpoint["cluster"], (string?)endpoint["address"], (string?)endpoint["proxyId"], Labels(endpoint["labels"]),
                endpoint["healthy"] is JsonValue v && v.TryGetValue<bool>(out var healthy) ? (healthy ? "HEALTHY" : "UNHEALTHY") : null);
        }

        return table;
    }

    /// <summary>Every endpoint of every cluster, each with its cluster's name added.</summary>
    public static JsonArray FlattenEndpoints(JsonArray clusters)
    {
        var endpoints = new JsonArray();
        foreach (var cluster in clusters.OfType<JsonObject>())
        {
            foreach (var endpoint in (cluster["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var copy = new JsonObject { ["cluster"] = (string?)cluster["name"] };
                foreach (var (key, value) in endpoint)
                {
                    copy[key] = value?.DeepClone();
                }

                endpoints.Add(copy);
            }
        }

        return endpoints;
    }

    public static Table Listeners(JsonArray listeners)
    {
        var table = new Table("NAME", "ADDRESS", "DIRECTION", "PROTOCOL", "SERVICE");
        foreach (var listener in listeners.OfType<JsonObject>())
        {
            table.Add((string?)listener["name"], (string?)listener["address"], (string?)listener["direction"],
                (string?)listener["protocol"], (string?)listener["service"]);
        }

        return table;
    }

    public static Table Routes(JsonArray routeTables)
    {
        var table = new Table("TABLE", "ROUTE", "MATCH", "DESTINATIONS", "TIMEOUT");
        foreach (var routeTable in routeTables.OfType<JsonObject>())
        {
            foreach (var route in (routeTable["routes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                table.Add((string?)routeTable["name"], (string?)route["name"], Matches(route["matches"]), Destinations(route["destinations"]),
                    route["timeoutMs"] is JsonValue t && t.TryGetValue<long>(out var ms) && ms > 0 ? $"{ms}ms" : null);
            }

            // A tcp route is in a proxy's table only when its match holds for that proxy; a TCP listener takes the first.
            foreach (var route in (routeTable["tcpRoutes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                table.Add((string?)routeTable["name"], (string?)route["name"], "tcp", Destinations(route["destinations"]), null);
            }
        }

        return table;
    }

    private static string Labels(JsonNode? labels) =>
        string.Join(",", (labels as JsonObject ?? []).Select(l => $"{l.Key}={l.Value}"));

    // "uri prefix /api, header end-user exact jason" per match block; blocks are ORed, so " | " between them.
    private static string Matches(JsonNode? matches)
    {
        var blocks = (matches as JsonArray ?? []).OfType<JsonObject>().Select(m =>
        {
            var parts = new List<string>();
            foreach (var field in new[] { "uri", "method" })
            {
                if (StringMatch(m[field]) is { } text)
                {
                    parts.Add($"{field} {text}");
                }
            }

            foreach (var (field, label) in new[] { ("headers", "header"), ("queryParams", "query"), ("withoutHeaders", "without header") })
            {
                foreach (var (key, value) in m[field] as JsonObject ?? [])
                {
                    parts.Add($"{label} {key} {StringMatch(value) ?? "present"}");
                }
            }

            return parts.Count == 0 ? "*" : string.Join(", ", parts);
        }).ToList();
        return blocks.Count == 0 ? "*" : string.Join(" | ", blocks);
    }

    private static string? StringMatch(JsonNode? match) =>
        (match as JsonObject)?.FirstOrDefault(p => p.Value is not null) is { Key: not null } kv && kv.Value is not null
            ? $"{kv.Key} {kv.Value}"
            : null;

    private static string Destinations(JsonNode? destinations) => string.Join(",", (destinations as JsonArray ?? []).OfType<JsonObject>().Select(d =>
    {
        var target = (string?)d["service"] ?? "?";
        if ((string?)d["subset"] is { Length: > 0 } subset)
        {
            target += $"/{subset}";
        }

        return d["weight"] is JsonValue w && w.TryGetValue<long>(out var weight) ? $"{target}:{weight}" : target;
    }));
}
