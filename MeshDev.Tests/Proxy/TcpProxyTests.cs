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
}
