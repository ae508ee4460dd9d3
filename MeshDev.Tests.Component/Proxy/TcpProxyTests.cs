using System.Text;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Proxy;

/// <summary>Raw TCP through two real sidecars: the client's outbound listener, the instance's inbound listener, the TCP app.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class TcpProxyTests
{
    [Fact]
    public async Task Bytes_round_trip_through_the_outbound_and_inbound_sidecars_to_the_tcp_app()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.Echo));
        await mesh.PushAsync(Snapshots.Of("v1", mesh.DbCluster()));
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);

        await using (var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            Assert.Equal("db-1", await client.ReadLineAsync());
            var sending = client.SendAsync(payload);
            var echoed = client.ReadBytesToEndAsync();
            await sending;
            client.ShutdownSend();
            Assert.Equal(payload, await echoed);
        }

        var greeting = Encoding.UTF8.GetByteCount("db-1\n");
        await mesh.Client.WaitUntilAsync(async () => await mesh.Client.CounterAsync("cluster.db.upstream_cx_rx_bytes_total") == payload.Length + greeting, "the client's byte counts");
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_total"));
        Assert.Equal(payload.Length, await mesh.Client.CounterAsync("cluster.db.upstream_cx_tx_bytes_total"));
        var server = mesh.Instances[0].Sidecar;
        Assert.Equal(1, await server.CounterAsync("inbound.db.cx_total"));
        Assert.Equal(payload.Length, await server.CounterAsync("inbound.db.cx_rx_bytes_total"));
        Assert.Equal(payload.Length + greeting, await server.CounterAsync("inbound.db.cx_tx_bytes_total"));
        await mesh.Client.WaitUntilAsync(async () => (await mesh.Client.StatsAsync()).GetProperty("gauges").GetProperty("cluster.db.upstream_cx_active").GetInt64() == 0, "the connection to end");
    }

    [Fact]
    public async Task The_app_can_end_its_side_first_and_still_read_what_the_client_sends_after()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.CloseWriteFirst));
        await mesh.PushAsync(Snapshots.Of("v1", mesh.DbCluster()));

        await using var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort);
        // The app's FIN travels through both sidecars as a FIN: the client reads to the end while its own side is open.
        Assert.Equal("db-1\n", await client.ReadToEndAsync());
        await client.SendAsync("written after the app's FIN");
        client.ShutdownSend();

        var backend = mesh.Instances[0].Backend;
        await mesh.Client.WaitUntilAsync(() => Task.FromResult(backend.Received.Contains("written after the app's FIN")), "the app to read the client's bytes");
    }

    [Fact]
    public async Task A_tcp_route_splits_connections_80_20_over_two_subsets()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-v1", "v1", TcpEchoMode.Echo), ("db-v2", "v2", TcpEchoMode.Echo));
        var table = new RouteTable { Name = "db" };
        var split = new TcpRoute { Name = "default/db/tcp/0" };
        split.Destinations.Add(new WeightedDestination { Service = "db", Subset = "v1", Weight = 80 });
        split.Destinations.Add(new WeightedDestination { Service = "db", Subset = "v2", Weight = 20 });
        table.TcpRoutes.Add(split);
        await mesh.PushAsync(Snapshots.Of("v1", mesh.DbCluster().WithSubset("v1", ("version", "v1")).WithSubset("v2", ("version", "v2"))).With(table));

        var reached = new Dictionary<string, int>();
        for (var i = 0; i < 200; i++)
        {
            var name = (await TcpTestClient.GreetingAsync(mesh.OutboundPort)).TrimEnd('\n');
            reached[name] = reached.GetValueOrDefault(name) + 1;
        }

        Assert.Equal(["db-v1", "db-v2"], reached.Keys.Order());
        // Binomial(200, 0.8): mean 160, standard deviation 5.7; the bounds are more than four deviations out.
        Assert.InRange(reached["db-v1"], 135, 185);
        Assert.Equal(200, await mesh.Client.CounterAsync("cluster.db.upstream_cx_total"));
        var dumped = (await mesh.Client.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("routeTables")[0].GetProperty("tcpRoutes")[0];
        Assert.Equal("default/db/tcp/0", dumped.GetProperty("name").GetString());
        Assert.Equal([("v1", 80), ("v2", 20)], dumped.GetProperty("destinations").EnumerateArray().Select(d => (d.GetProperty("subset").GetString(), d.GetProperty("weight").GetInt32())));
    }

    [Fact]
    public async Task Beyond_max_connections_a_new_connection_is_closed_and_counted_as_overflow()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.Echo));
        var cluster = mesh.DbCluster();
        cluster.ConnectionPool = new ConnectionPool { MaxConnections = 1 };
        await mesh.PushAsync(Snapshots.Of("v1", cluster));

        await using (var held = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            Assert.Equal("db-1", await held.ReadLineAsync());

            Assert.Equal("", await TcpTestClient.GreetingAsync(mesh.OutboundPort));
            Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_overflow"));

            held.ShutdownSend();
            Assert.Equal("", await held.ReadToEndAsync());
        }

        // The held connection's slot is free again once it has ended.
        await mesh.Client.WaitUntilAsync(async () => (await mesh.Client.StatsAsync()).GetProperty("gauges").GetProperty("cluster.db.upstream_cx_active").GetInt64() == 0, "the held connection to end");
        Assert.Equal("db-1\n", await TcpTestClient.GreetingAsync(mesh.OutboundPort));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_overflow"));
        Assert.Equal(2, await mesh.Client.CounterAsync("cluster.db.upstream_cx_total"));
    }

    [Fact]
    public async Task A_dead_endpoint_fails_its_connect_is_counted_and_is_ejected_so_the_live_one_takes_the_rest()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.Echo));
        var cluster = mesh.DbCluster();
        cluster.Endpoints.Add(Routes.Labelled($"127.0.0.1:{FreePort.Next()}", ("app", "db"), ("version", "v1")));
        cluster.OutlierDetection = new OutlierDetection { ConsecutiveGatewayErrors = 1, BaseEjectionTimeMs = 60_000, IntervalMs = 1000, MaxEjectionPercent = 50 };
        await mesh.PushAsync(Snapshots.Of("v1", cluster));

        var greetings = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            greetings.Add(await TcpTestClient.GreetingAsync(mesh.OutboundPort));
        }

        // Round robin sends one of the first two connections to the dead endpoint: closed without a byte.
        Assert.Equal(1, greetings.Count(g => g == ""));
        Assert.Equal(11, greetings.Count(g => g == "db-1\n"));
        Assert.Contains("", greetings.Take(2));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_connect_fail"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.outlier_detection.ejections_enforced_consecutive_gateway_failure"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.db.upstream_cx_connect_timeout"));
    }

    [Fact]
    public async Task A_connect_that_outlasts_connect_timeout_is_given_up_and_counted()
    {
        await using var mesh = await TcpMesh.StartAsync();
        using var blackhole = await BlackholeEndpoint.StartAsync();
        var cluster = Snapshots.Cluster("db", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Tcp, Snapshots.Endpoint(blackhole.Address));
        cluster.ConnectionPool = new ConnectionPool { ConnectTimeoutMs = 300 };
        await mesh.PushAsync(Snapshots.Of("v1", cluster));

        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("", await TcpTestClient.GreetingAsync(mesh.OutboundPort));

        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_connect_timeout"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_connect_fail"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.db.upstream_cx_total"));
    }

    [Fact]
    public async Task Without_a_route_table_connections_go_to_the_service_and_its_listener_is_dumped_as_tcp()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.Echo), ("db-2", "v2", TcpEchoMode.Echo));
        await mesh.PushAsync(Snapshots.Of("v1", mesh.DbCluster(LoadBalancerPolicy.RoundRobin)));

        var names = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            names.Add(await TcpTestClient.GreetingAsync(mesh.OutboundPort));
        }

        Assert.Equal(["db-1\n", "db-2\n"], names.Order());
        var listener = (await mesh.Client.ConfigDumpAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "outbound|db");
        Assert.Equal("tcp", listener.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task A_tcp_app_is_healthy_while_its_port_accepts_connections()
    {
        await using var mesh = await TcpMesh.StartAsync(("db-1", "v1", TcpEchoMode.Echo));
        var sidecar = mesh.Instances[0].Sidecar;
        await sidecar.WaitUntilAsync(async () => !(await sidecar.GetAdminAsync("/ready")).Body.Contains("not healthy", StringComparison.Ordinal), "the app's TCP probe to pass");

        await mesh.Instances[0].Backend.DisposeAsync();

        await sidecar.WaitUntilAsync(async () => (await sidecar.GetAdminAsync("/ready")).Body.Contains("connection refused", StringComparison.Ordinal), "the app's TCP probe to fail");
        Assert.Contains($"tcp://127.0.0.1:{mesh.Instances[0].Backend.Port} not healthy", (await sidecar.GetAdminAsync("/ready")).Body, StringComparison.Ordinal);
    }
}
