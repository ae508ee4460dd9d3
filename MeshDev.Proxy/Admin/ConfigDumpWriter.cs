using System.Text.Json;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Listeners;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// /config_dump: who the proxy is, the snapshot it serves with, its listeners and the last refused push.
/// Shape: {"proxyId","mode","service","labels","identity","version","appliedAt","snapshot":{"clusters":[{"name","loadBalancer",
/// "protocol","tls","endpoints":[{"proxyId","address","labels","healthy","identity","mtls","ejectedUntil"?,"ejections"?}],"subsets":[{"name",
/// "labels","loadBalancer","healthyEndpoints","circuitBreaker","outlierDetection"?,"consistentHash"?}],"circuitBreaker":
/// {"maxRequests","maxPending","maxRetries","activeRequests","pendingRequests"},"outlierDetection"?,"consistentHash"?}],"routeTables":[see RouteTableJson],"inboundSecurity":{see InboundPolicyJson}},"listeners":[{"name","address","protocol",
/// "direction","service","mtlsMode"? (inbound: the mode in force, see TransportSecurityJson)}],"lastNack":{"version","reason"}|null}.
/// </summary>
public static class ConfigDumpWriter
{
    public static byte[] Write(ProxyOptions options, RuntimeSnapshot snapshot, RejectedSnapshot? lastRejected, IEnumerable<ListenerDescription> listeners)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, AdminJson.Indented))
        {
            json.WriteStartObject();
            json.WriteString("proxyId", options.ProxyId);
            json.WriteString("mode", options.Mode == ProxyMode.Sidecar ? "sidecar" : "gateway");
            json.WriteString("service", options.Service);
            WriteLabels(json, "labels", options.Labels);
            TransportSecurityJson.WriteProxyIdentity(json, options);
            WriteNullableString(json, "version", snapshot.Version);
            WriteNullableString(json, "appliedAt", snapshot.AppliedAt?.ToString("O"));

            json.WriteStartObject("snapshot");
            json.WriteStartArray("clusters");
            foreach (var cluster in snapshot.Clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("name", cluster.Name);
                json.WriteString("loadBalancer", PolicyName(cluster.Policy));
                json.WriteString("protocol", cluster.Protocol == ServiceProtocol.Unspecified ? "unspecified" : ServiceProtocols.ToConfigValue(cluster.Protocol));
                TransportSecurityJson.WriteCluster(json, snapshot, cluster);
                json.WriteStartArray("endpoints");
                foreach (var endpoint in cluster.Endpoints)
                {
                    json.WriteStartObject();
                    json.WriteString("proxyId", endpoint.ProxyId);
                    json.WriteString("address", endpoint.Address);
                    WriteLabels(json, "labels", endpoint.Labels);
                    json.WriteBoolean("healthy", endpoint.Healthy);
                    TransportSecurityJson.WriteEndpoint(json, options, snapshot, endpoint);
                    if (endpoint.Outlier.EjectedUntil(DateTime.UtcNow) is { } ejectedUntil)
                    {
                        json.WriteString("ejectedUntil", new DateTimeOffset(ejectedUntil));
                        json.WriteNumber("ejections", endpoint.Outlier.Ejections);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("subsets");
                foreach (var subset in cluster.Subsets.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
                {
                    json.WriteStartObject();
                    json.WriteString("name", subset.Name);
                    WriteLabels(json, "labels", subset.Labels);
                    json.WriteString("loadBalancer", PolicyName(subset.Policy));
                    json.WriteNumber("healthyEndpoints", subset.HealthyEndpoints.Length);
                    WriteTrafficPolicy(json, subset);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                WriteTrafficPolicy(json, cluster.All);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("routeTables");
            foreach (var table in snapshot.RouteTables.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                RouteTableJson.Write(json, table);
            }

            json.WriteEndArray();
            InboundPolicyJson.Write(json, snapshot.InboundPolicy, snapshot.Security);
            json.WriteEndObject();

            json.WriteStartArray("listeners");
            foreach (var listener in listeners.Where(l => l.Direction != ListenerDirection.Admin).OrderBy(l => l.Name, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("name", listener.Name);
                json.WriteString("address", listener.Address);
                json.WriteString("protocol", ServiceProtocols.ToConfigValue(listener.Protocol));
                json.WriteString("direction", listener.Direction.ToString().ToLowerInvariant());
                json.WriteString("service", listener.Service);
                TransportSecurityJson.WriteListener(json, options, snapshot, listener);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            if (lastRejected is null)
            {
                json.WriteNull("lastNack");
            }
            else
            {
                json.WriteStartObject("lastNack");
                json.WriteString("version", lastRejected.Version);
                json.WriteString("reason", lastRejected.Reason);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Istio's DestinationRule names for the policies.</summary>
    public static string PolicyName(LoadBalancerPolicy policy) => policy switch
    {
        LoadBalancerPolicy.RoundRobin => "ROUND_ROBIN",
        LoadBalancerPolicy.Random => "RANDOM",
        LoadBalancerPolicy.Passthrough => "PASSTHROUGH",
        _ => "LEAST_REQUEST",
    };

    /// <summary>The limits and policies in effect for a cluster or subset, Envoy's defaults filled in.</summary>
    private static void WriteTrafficPolicy(Utf8JsonWriter json, EndpointSet set)
    {
        json.WriteStartObject("circuitBreaker");
        json.WriteNumber("maxRequests", set.Limits.MaxRequests);
        json.WriteNumber("maxPending", set.Limits.MaxPending);
        json.WriteNumber("maxRetries", set.Limits.MaxRetries);
        json.WriteNumber("activeRequests", set.Breaker.ActiveRequests);
        json.WriteNumber("pendingRequests", set.Breaker.PendingRequests);
        json.WriteEndObject();
        if (set.Outlier?.Policy is { } outlier)
        {
            json.WriteStartObject("outlierDetection");
            json.WriteNumber("consecutive5xxErrors", outlier.Consecutive5xx);
            json.WriteNumber("consecutiveGatewayErrors", outlier.ConsecutiveGatewayErrors);
            json.WriteNumber("baseEjectionTimeMs", (long)outlier.BaseEjectionTime.TotalMilliseconds);
            json.WriteNumber("maxEjectionPercent", outlier.MaxEjectionPercent);
            json.WriteNumber("minHealthPercent", outlier.MinHealthPercent);
            json.WriteEndObject();
        }

        if (set.RingHash?.Key is { } key)
        {
            json.WriteStartObject("consistentHash");
            json.WriteString("key", key.Kind switch
            {
                ConsistentHash.KeyOneofCase.HttpHeaderName => "header",
                ConsistentHash.KeyOneofCase.HttpCookieName => "cookie",
                ConsistentHash.KeyOneofCase.HttpQueryParameterName => "query",
                _ => "sourceIp",
            });
            json.WriteString("name", key.Name);
            if (key.IssuedCookie is { } cookie)
            {
                json.WriteNumber("cookieTtlMs", (long)cookie.Ttl.TotalMilliseconds);
                json.WriteString("cookiePath", cookie.Path);
            }

            json.WriteEndObject();
        }
    }

    private static void WriteLabels(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string> labels)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
