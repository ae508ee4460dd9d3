namespace MeshDev.Proxy.Routing;

/// <summary>
/// One compiled HttpRoute: when it applies, where it sends, and how (timeout, retries, faults, headers, rewrite); or,
/// for a redirect, the redirect the proxy answers with (and no destinations).
/// </summary>
public sealed class CompiledRoute(
    string name,
    RequestMatch[] matches,
    RouteDestination[] destinations,
    TimeSpan timeout,
    RetryPolicy retries,
    RouteFault? fault,
    HeaderOperations requestHeaders,
    HeaderOperations responseHeaders,
    RouteMirror? mirror = null,
    RouteRedirect? redirect = null,
    RouteRewrite? rewrite = null)
{
    private readonly int _totalWeight = destinations.Sum(d => d.Weight);

    public string Name { get; } = name;

    /// <summary>ORed; none means every request.</summary>
    public RequestMatch[] Matches { get; } = matches;

    public RouteDestination[] Destinations { get; } = destinations;

    /// <summary>Zero: none.</summary>
    public TimeSpan Timeout { get; } = timeout;

    public RetryPolicy Retries { get; } = retries;
    public RouteFault? Fault { get; } = fault;
    public HeaderOperations RequestHeaders { get; } = requestHeaders;
    public HeaderOperations ResponseHeaders { get; } = responseHeaders;

    /// <summary>Null: no mirroring.</summary>
    public RouteMirror? Mirror { get; } = mirror;

    /// <summary>Set: the route answers with this redirect and has no destinations.</summary>
    public RouteRedirect? Redirect { get; } = redirect;

    /// <summary>Null: the request is forwarded as it came.</summary>
    public RouteRewrite? Rewrite { get; } = rewrite;

    /// <summary>What a listener without a route table does: everything to its own service, Istio's default policy.</summary>
    public static CompiledRoute CatchAll(string service) =>
        new("default", [], [new RouteDestination(service, "", 100)], TimeSpan.Zero, RetryPolicy.Default, null, HeaderOperations.None, HeaderOperations.None);

    public bool Applies(HttpRequest request)
    {
        if (Matches.Length == 0)
        {
            return true;
        }

        foreach (var match in Matches)
        {
            if (match.Matches(request))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first match block the request satisfies (it decides a prefix rewrite); null when the route has none.</summary>
    public RequestMatch? MatchedBlock(HttpRequest request)
    {
        foreach (var match in Matches)
        {
            if (match.Matches(request))
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>Weighted random choice, made once per request as Envoy's weighted clusters do.</summary>
    public RouteDestination PickDestination() => RouteDestination.PickWeighted(Destinations, _totalWeight);
}

/// <summary>A service (and optionally one of its subsets) a route sends a share of its requests to.</summary>
public sealed class RouteDestination(string service, string subset, int weight)
{
    public string Service { get; } = service;

    /// <summary>Empty: every endpoint of the service.</summary>
    public string Subset { get; } = subset;

    public int Weight { get; } = weight;

    /// <summary>The stats of <see cref="Service"/>, looked up on first use and then kept with the compiled route.</summary>
    public Telemetry.ClusterStats? Stats { get; set; }

    /// <summary>The connection stats of <see cref="Service"/>, kept like <see cref="Stats"/> for TCP routes.</summary>
    public Telemetry.TcpClusterStats? TcpStats { get; set; }

    /// <summary>Weighted random choice among <paramref name="destinations"/> (never empty).</summary>
    public static RouteDestination PickWeighted(RouteDestination[] destinations, int totalWeight)
    {
        if (destinations.Length == 1 || totalWeight <= 0)
        {
            return destinations[0];
        }

        var roll = Random.Shared.Next(totalWeight);
        foreach (var destination in destinations)
        {
            roll -= destination.Weight;
            if (roll < 0)
            {
                return destination;
            }
        }

        return destinations[^1];
    }
}

/// <summary>Where a route sends copies of its requests, and for what share of them (0..100).</summary>
public sealed record RouteMirror(string Service, string Subset, double Percentage)
{
    public bool Applies() => Percentage >= 100 || (Percentage > 0 && Random.Shared.NextDouble() * 100 < Percentage);
}

/// <summary>The routes of one listener in evaluation order.</summary>
public sealed class CompiledRouteTable(string name, CompiledRoute[] routes, CompiledTcpRoute[]? tcpRoutes = null)
{
    public string Name { get; } = name;

    public CompiledRoute[] Routes { get; } = routes;

    /// <summary>What a TCP listener uses; every one applies to this proxy, so the first is taken.</summary>
    public CompiledTcpRoute[] TcpRoutes { get; } = tcpRoutes ?? [];

    /// <summary>The first route that matches, or null (Envoy's NR).</summary>
    public CompiledRoute? Match(HttpRequest request)
    {
        foreach (var route in Routes)
        {
            if (route.Applies(request))
            {
                return route;
            }
        }

        return null;
    }
}
