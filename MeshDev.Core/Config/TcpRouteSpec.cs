namespace MeshDev.Core.Config;

// Istio's VirtualService tcp[] (TCPRoute), field for field as Istio names them.

public sealed class TcpRouteSpec
{
    public IReadOnlyList<L4MatchAttributesSpec> Match { get; init; } = [];
    public IReadOnlyList<RouteDestinationSpec> Route { get; init; } = [];

    internal static TcpRouteSpec Read(YamlSpecReader r) => new()
    {
        Match = r.List("match", L4MatchAttributesSpec.Read),
        Route = r.List("route", RouteDestinationSpec.Read),
    };
}

/// <summary>Istio's L4MatchAttributes: what a TCP connection is matched on.</summary>
public sealed class L4MatchAttributesSpec
{
    public IReadOnlyList<string> DestinationSubnets { get; init; } = [];
    public int? Port { get; init; }
    public string? SourceSubnet { get; init; }
    public IReadOnlyDictionary<string, string> SourceLabels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Gateways { get; init; } = [];
    public string? SourceNamespace { get; init; }

    internal static L4MatchAttributesSpec Read(YamlSpecReader r) => new()
    {
        DestinationSubnets = r.StringList("destinationSubnets"),
        Port = r.Int("port"),
        SourceSubnet = r.String("sourceSubnet"),
        SourceLabels = r.StringMap("sourceLabels"),
        Gateways = r.StringList("gateways"),
        SourceNamespace = r.String("sourceNamespace"),
    };
}

/// <summary>Istio's RouteDestination (tcp and tls routes): a destination and its weight, without header operations.</summary>
public sealed class RouteDestinationSpec
{
    public DestinationSpec? Destination { get; init; }
    public int? Weight { get; init; }

    internal static RouteDestinationSpec Read(YamlSpecReader r) => new()
    {
        Destination = r.Object("destination", DestinationSpec.Read),
        Weight = r.Int("weight"),
    };
}
