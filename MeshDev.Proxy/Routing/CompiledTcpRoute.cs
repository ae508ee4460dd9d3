namespace MeshDev.Proxy.Routing;

/// <summary>One compiled TcpRoute: where a connection goes, picked by weight once per connection.</summary>
public sealed class CompiledTcpRoute(string name, RouteDestination[] destinations)
{
    private readonly int _totalWeight = destinations.Sum(d => d.Weight);

    public string Name { get; } = name;

    public RouteDestination[] Destinations { get; } = destinations;

    /// <summary>What a TCP listener without tcp routes does: every connection to its own service.</summary>
    public static CompiledTcpRoute CatchAll(string service) => new("default", [new RouteDestination(service, "", 100)]);

    public RouteDestination PickDestination() => RouteDestination.PickWeighted(Destinations, _totalWeight);
}
