using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Proxy;

/// <summary>How a proxy checks and compiles the tcp routes of a pushed snapshot, and picks a connection's endpoint.</summary>
public sealed class TcpRoutingUnitTests
{
    private static RouteTable TcpTable(string name, params (string RouteName, (string Service, string Subset, uint Weight)[] Destinations)[] routes)
    {
        var table = new RouteTable { Name = name };
        foreach (var (routeName, destinations) in routes)
        {
            var route = new TcpRoute { Name = routeName };
            route.Destinations.Add(destinations.Select(d => new WeightedDestination { Service = d.Service, Subset = d.Subset, Weight = d.Weight }));
            table.TcpRoutes.Add(route);
        }

        return table;
    }

    private static ProxySnapshot Db(params RouteTable[] tables) =>
        Snapshots.Of("v1", Snapshots.Cluster("db", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Tcp, Snapshots.Endpoint("127.0.0.1:5432"))).With(tables);

    [Fact]
    public void A_tcp_route_to_a_cluster_the_snapshot_lacks_or_with_weights_off_100_is_refused_naming_it()
    {
        Assert.Null(SnapshotValidator.Validate(Db(TcpTable("db", ("split", [("db", "", 60), ("db", "", 40)])))));
        Assert.Equal("route table 'db' tcp route 'to-cache' destinations[0]: service 'cache' has no cluster in the snapshot",
            SnapshotValidator.Validate(Db(TcpTable("db", ("to-cache", [("cache", "", 100)])))));
        Assert.Equal("route table 'db' tcp route '0': destination weights add up to 90, not 100",
            SnapshotValidator.Validate(Db(TcpTable("db", ("", [("db", "", 50), ("db", "", 40)])))));
        Assert.Equal("route table 'db' tcp route 'empty': destinations is empty",
            SnapshotValidator.Validate(Db(TcpTable("db", ("empty", [])))));
    }

    [Fact]
    public void Tcp_routes_compile_beside_http_routes_in_order_unnamed_ones_named_by_table_and_index()
    {
        var table = TcpTable("db", ("default/db/tcp/1", [("db", "", 100)]), ("", [("db", "", 100)]));
        table.Routes.Add(Routes.Route("http-route", "db"));

        var compiled = RuntimeSnapshot.Build(Db(table), RuntimeSnapshot.Empty, DateTimeOffset.UtcNow).RouteTables["db"];

        Assert.Equal(["default/db/tcp/1", "db/tcp/1"], compiled.TcpRoutes.Select(r => r.Name));
        Assert.Equal(["http-route"], compiled.Routes.Select(r => r.Name));
    }

    [Fact]
    public void A_source_ip_hash_keeps_a_source_on_one_endpoint_and_other_hash_keys_do_not_apply_to_a_connection()
    {
        var cluster = Snapshots.Cluster("db", LoadBalancerPolicy.Unspecified, ServiceProtocol.Tcp,
            Enumerable.Range(1, 8).Select(i => Snapshots.Endpoint($"127.0.0.{i}:5432")).ToArray());
        cluster.ConsistentHash = new ConsistentHash { UseSourceIp = true };
        var set = RuntimeSnapshot.Build(Snapshots.Of("v1", cluster), RuntimeSnapshot.Empty, DateTimeOffset.UtcNow).Clusters["db"].All;

        var picks = Enumerable.Range(0, 50).Select(_ => set.Pick(IPAddress.Parse("10.1.2.3"), set.HealthyEndpoints).Address).ToHashSet();
        var sources = Enumerable.Range(1, 50).Select(i => set.Pick(IPAddress.Parse($"10.1.2.{i}"), set.HealthyEndpoints).Address).ToHashSet();

        Assert.Single(picks);
        Assert.True(sources.Count > 1, "different sources should spread over the ring");

        cluster.ConsistentHash = new ConsistentHash { HttpHeaderName = "x-user" };
        var byHeader = RuntimeSnapshot.Build(Snapshots.Of("v2", cluster), RuntimeSnapshot.Empty, DateTimeOffset.UtcNow).Clusters["db"].All;
        var spread = Enumerable.Range(0, 100).Select(_ => byHeader.Pick(IPAddress.Parse("10.1.2.3"), byHeader.HealthyEndpoints).Address).ToHashSet();
        Assert.True(spread.Count > 1, "a header hash has no key in a connection, so picks are random");
    }
}
