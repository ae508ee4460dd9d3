using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>Terse builders for the route tables, subsets and labelled endpoints tests push.</summary>
public static class Routes
{
    public static ProxySnapshot With(this ProxySnapshot snapshot, params RouteTable[] tables)
    {
        snapshot.RouteTables.Add(tables);
        return snapshot;
    }

    public static RouteTable Table(string name, params HttpRoute[] routes)
    {
        var table = new RouteTable { Name = name };
        table.Routes.Add(routes);
        return table;
    }

    /// <summary>A route to one service (weight 100), optionally to a subset, with the given match block.</summary>
    public static HttpRoute Route(string name, string service, string subset = "", RouteMatch? match = null)
    {
        var route = new HttpRoute { Name = name };
        route.Destinations.Add(new WeightedDestination { Service = service, Subset = subset, Weight = 100 });
        if (match is not null)
        {
            route.Matches.Add(match);
        }

        return route;
    }

    public static HttpRoute Split(string name, params (string Service, string Subset, uint Weight)[] destinations)
    {
        var route = new HttpRoute { Name = name };
        route.Destinations.Add(destinations.Select(d => new WeightedDestination { Service = d.Service, Subset = d.Subset, Weight = d.Weight }));
        return route;
    }

    public static RouteMatch Match(
        StringMatch? uri = null,
        StringMatch? method = null,
        (string Name, StringMatch Match)[]? headers = null,
        (string Name, StringMatch Match)[]? query = null,
        (string Name, StringMatch Match)[]? withoutHeaders = null,
        bool ignoreUriCase = false)
    {
        var match = new RouteMatch { Uri = uri, Method = method, IgnoreUriCase = ignoreUriCase };
        foreach (var (name, value) in headers ?? [])
        {
            match.Headers[name] = value;
        }

        foreach (var (name, value) in query ?? [])
        {
            match.QueryParams[name] = value;
        }

        foreach (var (name, value) in withoutHeaders ?? [])
        {
            match.WithoutHeaders[name] = value;
        }

        return match;
    }

    public static Cluster WithSubset(this Cluster cluster, string name, params (string Key, string Value)[] labels)
    {
        var subset = new Subset { Name = name };
        foreach (var (key, value) in labels)
        {
            subset.Labels[key] = value;
        }

        cluster.Subsets.Add(subset);
        return cluster;
    }

    public static Endpoint Labelled(string address, params (string Key, string Value)[] labels)
    {
        var endpoint = Snapshots.Endpoint(address);
        foreach (var (key, value) in labels)
        {
            endpoint.Labels[key] = value;
        }

        return endpoint;
    }
}
