using System.Net;
using System.Text;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;

namespace MeshDev.Tests.Telemetry;

/// <summary>
/// Istio's TCP metrics on the admin port of two real sidecar processes, after a TCP connection through both over
/// mTLS: the caller's sidecar reports as the source, the instance's as the destination, with the bytes relayed.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class TcpMetricsTests
{
    private const string Greeting = "db-1\n";

    [Fact]
    public async Task Both_sidecars_report_the_connection_and_its_bytes_as_tcp_over_mutual_tls()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync();
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);

        await using (var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            Assert.Equal("db-1", await client.ReadLineAsync());
            var echoed = client.ReadBytesToEndAsync();
            await client.SendAsync(payload);
            client.ShutdownSend();
            Assert.Equal(payload, await echoed);
        }

        // The downstream peer's point of view: it sent the payload, and got the greeting and the echo back.
        long received = payload.Length;
        long sent = payload.Length + Encoding.UTF8.GetByteCount(Greeting);

        var source = await ScrapeUntilClosedAsync(mesh.Client);
        var sourceLabels = new Dictionary<string, string>
        {
            ["reporter"] = "source",
            ["source_workload"] = "app-1",
            ["source_principal"] = TcpMutualTlsMesh.App.ToString(),
            ["destination_workload"] = "db-1",
            ["destination_principal"] = TcpMutualTlsMesh.Db.ToString(),
            ["destination_service_name"] = "db",
            ["request_protocol"] = "tcp",
            ["response_flags"] = "-",
        };
        AssertTcpSeries(source, sourceLabels, received, sent);

        var destination = await ScrapeUntilClosedAsync(mesh.Server);
        var destinationLabels = new Dictionary<string, string>
        {
            ["reporter"] = "destination",
            // TCP carries no peer metadata: the caller is known by the certificate its handshake proved.
            ["source_principal"] = TcpMutualTlsMesh.App.ToString(),
            ["destination_workload"] = "db-1",
            ["destination_principal"] = TcpMutualTlsMesh.Db.ToString(),
            ["destination_service_name"] = "db",
            ["request_protocol"] = "tcp",
            ["connection_security_policy"] = "mutual_tls",
            ["response_flags"] = "-",
        };
        AssertTcpSeries(destination, destinationLabels, received, sent);
    }

    [Fact]
    public async Task A_connection_the_instance_cannot_relay_closes_with_UF_on_the_destination_side()
    {
        await using var mesh = await TcpMutualTlsMesh.StartAsync();
        // The app behind db's sidecar is gone: the sidecar accepts the hop and cannot connect onward.
        await mesh.Backend.DisposeAsync();

        await using (var client = await TcpTestClient.ConnectAsync(mesh.OutboundPort))
        {
            client.ShutdownSend();
            Assert.Equal("", await client.ReadToEndAsync());
        }

        IReadOnlyList<PrometheusSample> samples = [];
        await mesh.Server.WaitUntilAsync(
            async () => (samples = await ScrapeAsync(mesh.Server)).Any(s => s.Metric == "istio_tcp_connections_closed_total"),
            "db's sidecar to report the closed connection");
        var closed = Assert.Single(samples, s => s.Metric == "istio_tcp_connections_closed_total");
        Assert.Equal("UF", closed.Labels["response_flags"]);
        Assert.Equal("mutual_tls", closed.Labels["connection_security_policy"]);
        Assert.Equal(1, closed.Value);
    }

    private static void AssertTcpSeries(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> labels, long received, long sent)
    {
        Assert.Equal(1, Single(samples, "istio_tcp_connections_opened_total", labels).Value);
        Assert.Equal(1, Single(samples, "istio_tcp_connections_closed_total", labels).Value);
        Assert.Equal(received, Single(samples, "istio_tcp_received_bytes_total", labels).Value);
        Assert.Equal(sent, Single(samples, "istio_tcp_sent_bytes_total", labels).Value);
    }

    private static PrometheusSample Single(IReadOnlyList<PrometheusSample> samples, string metric, IReadOnlyDictionary<string, string> labels)
    {
        var series = samples.Where(s => s.Metric == metric).ToArray();
        Assert.True(series.Length == 1 && series[0].Has(labels),
            $"expected one {metric} series with {string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}; got: "
            + string.Join(" | ", series.Select(s => string.Join(",", s.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")))));
        return series[0];
    }

    /// <summary>Scrapes until the connection has been reported closed: bytes are all counted by then.</summary>
    private static async Task<IReadOnlyList<PrometheusSample>> ScrapeUntilClosedAsync(ProxyProcess proxy)
    {
        IReadOnlyList<PrometheusSample> samples = [];
        await proxy.WaitUntilAsync(
            async () => (samples = await ScrapeAsync(proxy)).Any(s => s.Metric == "istio_tcp_connections_closed_total"),
            $"{proxy.Settings.ProxyId}'s /stats/prometheus to show the closed TCP connection");
        return samples;
    }

    private static async Task<IReadOnlyList<PrometheusSample>> ScrapeAsync(ProxyProcess proxy)
    {
        var (status, body) = await proxy.GetAdminAsync("/stats/prometheus");
        Assert.Equal(HttpStatusCode.OK, status);
        PrometheusFormat.AssertWellFormed(body);
        return PrometheusSample.Parse(body);
    }
}
