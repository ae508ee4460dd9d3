namespace MeshDev.Core.Api;

// The JSON shapes of /api/v1 (camelCase on the wire). Tools and tests depend on them: extend, never rename.

public sealed record ServiceResponse(string Name, string Namespace, IReadOnlyList<ServiceInstanceResponse> Instances);

public sealed record ServiceInstanceResponse(
    string ProxyId,
    IReadOnlyDictionary<string, string> Labels,
    string Address,
    uint ServicePort,
    string Protocol,
    bool Healthy,
    bool Connected,
    bool ProcessGone);

public sealed record ProxyResponse(
    string Id,
    string Service,
    string Namespace,
    IReadOnlyDictionary<string, string> Labels,
    string Mode,
    bool Connected,
    DateTimeOffset ConnectedAt,
    DateTimeOffset? DisconnectedAt,
    bool Healthy,
    string? SentVersion,
    DateTimeOffset? SentAt,
    string? AckedVersion,
    DateTimeOffset? AckedAt,
    bool InSync,
    long? ConfigVersion,
    NackResponse? LastNack,
    string AdminUrl,
    IReadOnlyList<string> Upstreams,
    DateTimeOffset? LastPushAt,
    int Restarts,
    string InstanceId,
    DateTimeOffset? StartedAt,
    bool ProcessGone);

public sealed record NackResponse(string Version, string Reason, DateTimeOffset At);

public sealed record VersionResponse(string Name, string Version);

public sealed record ErrorResponse(string Error);
