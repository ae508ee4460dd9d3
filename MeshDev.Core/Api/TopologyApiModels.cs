namespace MeshDev.Core.Api;

// The JSON shapes of /api/v1/topology (camelCase on the wire); the dashboard's graph and tests depend on them.

public sealed record TopologyResponse(
    DateTimeOffset GeneratedAt,
    double WindowSeconds,
    IReadOnlyList<TopologyNodeResponse> Nodes,
    IReadOnlyList<TopologyEdgeResponse> Edges);

/// <param name="Kind">"workload" or "gateway".</param>
/// <param name="Healthy">Connected and its app healthy; false for workloads known only from metrics.</param>
public sealed record TopologyNodeResponse(
    string Id,
    string Workload,
    string? App,
    string? Version,
    string Namespace,
    string Kind,
    bool Healthy);

/// <param name="ErrorRate">Share of responses with a 5xx code over the window, 0 to 1.</param>
/// <param name="P50Ms">Median latency over the window; null when no request finished in it.</param>
/// <param name="Mtls">The latest request on this edge went over mutual TLS.</param>
/// <param name="LastSeen">When the edge's request counter last grew.</param>
public sealed record TopologyEdgeResponse(
    string Source,
    string Destination,
    double RequestsPerSecond,
    double ErrorRate,
    double? P50Ms,
    double? P99Ms,
    bool Mtls,
    DateTimeOffset LastSeen);
