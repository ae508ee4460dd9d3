using System.Text;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// A TCP service's hop between two real sidecar processes over mTLS, exactly as an HTTP one: the caller's sidecar
/// originates TLS with its workload certificate and checks the instance's SPIFFE ID, the instance's sidecar applies
/// PeerAuthentication before it relays a byte.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class TcpMutualTlsTests
{
    [Fact]
    public async Task Tcp_bytes_round_trip_between_sidecars_over_mtls()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync();
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

        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_mtls"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.db.upstream_cx_plaintext"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.ssl.handshake"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_tls"));
        Assert.Equal(0, await mesh.Server.CounterAsync("inbound.db.cx_plaintext"));
        // The relay counts the app's bytes, not TLS records: what went through is exactly the payload.
        await mesh.Server.WaitUntilAsync(async () => await mesh.Server.CounterAsync("inbound.db.cx_rx_bytes_total") == payload.Length, "the server's byte count");
        Assert.Equal(payload.Length + Encoding.UTF8.GetByteCount("db-1\n"), await mesh.Server.CounterAsync("inbound.db.cx_tx_bytes_total"));

        // config_dump says how the hop travels and which mode the instance's listener enforces.
        var endpoint = (await mesh.Client.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")[0].GetProperty("endpoints")[0];
        Assert.Equal(TcpMutualTlsMesh.Db.ToString(), endpoint.GetProperty("identity").GetString());
        Assert.True(endpoint.GetProperty("mtls").GetBoolean());
        var inbound = (await mesh.Server.ConfigDumpAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("direction").GetString() == "inbound");
        Assert.Equal("PERMISSIVE", inbound.GetProperty("mtlsMode").GetString());
    }

    [Fact]
    public async Task The_apps_half_close_crosses_the_mtls_hop_and_the_client_still_sends_after_it()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync(TcpEchoMode.CloseWriteFirst);

        await using var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort);
        // The app's FIN becomes TLS's close_notify on the hop and a FIN again at the caller: the client reads to the end
        // while its own direction, through TLS, stays open.
        Assert.Equal("db-1\n", await client.ReadToEndAsync());
        await client.SendAsync("written after the app's FIN");
        client.ShutdownSend();

        await mesh.Client.WaitUntilAsync(() => Task.FromResult(mesh.Backend.Received.Contains("written after the app's FIN")), "the app to read the client's bytes");
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_tls"));
    }

    [Fact]
    public async Task Strict_refuses_a_plaintext_tcp_client_before_a_byte_reaches_the_app_while_the_sidecar_gets_through()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync(serverSecurity: new InboundSecurity { MtlsMode = MtlsMode.Strict });

        await using (var plaintext = await TcpTestClient.ConnectAsync(mesh.ServerInboundPort))
        {
            await plaintext.SendAsync("plaintext hello");
            plaintext.ShutdownSend();
            Assert.Equal("", await plaintext.ReadToEndAsync());
        }

        Assert.Equal("db-1\n", await TcpTestClient.GreetingAsync(mesh.OutboundPort));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.plaintext_refused"));
        Assert.Equal(0, await mesh.Server.CounterAsync("inbound.db.cx_plaintext"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_tls"));
        // Only the mTLS connection reached the app (and the sidecar's health probes, which send nothing).
        Assert.DoesNotContain(mesh.Backend.Received, r => r.Contains("plaintext hello"));
        Assert.Equal("STRICT", (await mesh.Server.ConfigDumpAsync()).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("direction").GetString() == "inbound").GetProperty("mtlsMode").GetString());
    }

    [Fact]
    public async Task Stats_count_tls_and_plaintext_connections_on_both_sides_by_mode()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync();

        // PERMISSIVE: the first byte decides. A plaintext client speaks first and is relayed in plaintext...
        await using (var plaintext = await TcpTestClient.ConnectAsync(mesh.ServerInboundPort))
        {
            await plaintext.SendAsync("ping");
            plaintext.ShutdownSend();
            Assert.Equal("db-1\nping", await plaintext.ReadToEndAsync());
        }

        // ...and the caller's sidecar comes with mTLS.
        Assert.Equal("db-1\n", await TcpTestClient.GreetingAsync(mesh.OutboundPort));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_plaintext"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_tls"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_mtls"));

        // A DestinationRule with tls DISABLE: the caller's sidecar dials the same instance in plaintext.
        var disabled = Snapshots.Cluster("db", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Tcp, new Endpoint
        {
            Address = $"127.0.0.1:{mesh.ServerInboundPort}", Healthy = true, ProxyId = "db-1", Identity = TcpMutualTlsMesh.Db.ToString(),
        });
        disabled.Tls = new ClusterTls { Mode = ClusterTlsMode.Disable };
        mesh.ClientStream.Push(Snapshots.Of("v2", disabled));
        await mesh.ClientStream.NextAckAsync();
        await using (var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            // PERMISSIVE waits for the caller's first byte to tell plaintext from TLS.
            await client.SendAsync("over plaintext");
            client.ShutdownSend();
            Assert.Equal("db-1\nover plaintext", await client.ReadToEndAsync());
        }

        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_plaintext"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_mtls"));
        Assert.Equal(2, await mesh.Server.CounterAsync("inbound.db.cx_plaintext"));
        var endpoint = (await mesh.Client.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")[0];
        Assert.Equal("DISABLE", endpoint.GetProperty("tls").GetString());
        Assert.False(endpoint.GetProperty("endpoints")[0].GetProperty("mtls").GetBoolean());
        Assert.Equal(TcpMutualTlsMesh.Db.ToString(), endpoint.GetProperty("endpoints")[0].GetProperty("identity").GetString());

        // DISABLE on the instance: plaintext only, relayed at once, so a server-first protocol works even when the
        // client says nothing before the app has spoken.
        await mesh.PushServerSecurityAsync("v2", new InboundSecurity { MtlsMode = MtlsMode.Disable });
        Assert.Equal("db-1\n", await TcpTestClient.GreetingAsync(mesh.ServerInboundPort, TimeSpan.FromSeconds(3)));
        Assert.Equal(3, await mesh.Server.CounterAsync("inbound.db.cx_plaintext"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.db.cx_tls"));
    }

    [Fact]
    public async Task An_instance_presenting_another_spiffe_id_is_refused_and_nothing_reaches_the_app()
    {
        var ratings = TestCertificateAuthority.Workload("ratings");
        await using var mesh = await TcpMutualTlsMesh.StartAsync(dbIdentity: ratings);

        await using (var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            await client.SendAsync("meant for db only");
            client.ShutdownSend();
            Assert.Equal("", await client.ReadToEndAsync());
        }

        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.ssl.fail_verify_san"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.db.upstream_cx_connect_fail"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.db.upstream_cx_mtls"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.db.upstream_cx_total"));
        Assert.Contains($"the server presented {TcpMutualTlsMesh.Db}, expected {ratings}", mesh.Client.Output);
        // (The instance's side may have seen its handshake complete: the client judges the server's certificate once
        // the last flight is out, then sends an alert instead of data.) Not a byte of the caller's reached the app.
        await Task.Delay(200);
        Assert.DoesNotContain(mesh.Backend.Received, r => r.Contains("meant for db only"));
    }
}
