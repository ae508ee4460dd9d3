using System.Text.Json.Nodes;

namespace MeshDev.Core.Config;

// Istio's Gateway, field for field as Istio names them.

public sealed class GatewaySpec
{
    public IReadOnlyDictionary<string, string> Selector { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<ServerSpec> Servers { get; init; } = [];

    internal static GatewaySpec Read(YamlSpecReader r) => new()
    {
        Selector = r.StringMap("selector"),
        Servers = r.List("servers", ServerSpec.Read),
    };
}

public sealed class ServerSpec
{
    public ServerPortSpec? Port { get; init; }
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public string? Name { get; init; }
    public string? Bind { get; init; }
    public string? DefaultEndpoint { get; init; }
    public JsonNode? Tls { get; init; }

    internal static ServerSpec Read(YamlSpecReader r) => new()
    {
        Port = r.Object("port", ServerPortSpec.Read),
        Hosts = r.StringList("hosts"),
        Name = r.String("name"),
        Bind = r.String("bind"),
        DefaultEndpoint = r.String("defaultEndpoint"),
        Tls = r.Raw("tls"),
    };
}

public sealed class ServerPortSpec
{
    public long? Number { get; init; }
    public string? Name { get; init; }
    public string? Protocol { get; init; }
    public long? TargetPort { get; init; }

    internal static ServerPortSpec Read(YamlSpecReader r) => new()
    {
        Number = r.Long("number"),
        Name = r.String("name"),
        Protocol = r.String("protocol"),
        TargetPort = r.Long("targetPort"),
    };
}
