using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>Outlier detection's interval: ejected endpoints are counted back into service without waiting for traffic.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class OutlierSweepTests
{
    private const string ActiveGauge = "cluster.reviews.outlier_detection.ejections_active";

    [Fact]
    public async Task An_ejected_endpoint_is_counted_back_when_its_time_is_up_even_without_requests()
    {
        await using var healthy = await TestBackend.StartAsync(c => c.Response.WriteAsync("ok"));
        var failingHits = 0;
        await using var failing = await TestBackend.StartAsync(c =>
        {
            Interlocked.Increment(ref failingHits);
            c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return c.Response.WriteAsync("down");
        });
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, healthy.Address, failing.Address);
        cluster.OutlierDetection = new OutlierDetection { Consecutive5XxErrors = 2, BaseEjectionTimeMs = 1000, IntervalMs = 200, MaxEjectionPercent = 50 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster));

        using var client = new HttpClient();
        for (var i = 0; i < 20 && await sidecar.Proxy.CounterAsync("cluster.reviews.outlier_detection.ejections_enforced_total") == 0; i++)
        {
            using var _ = await client.GetAsync(sidecar.OutboundUrl);
        }

        Assert.Equal(1, await GaugeAsync(sidecar.Proxy, ActiveGauge));
        var ejectedAt = DateTime.UtcNow;
        var hitsAtEjection = Volatile.Read(ref failingHits);

        // No request from here on: only the detector's own sweep can notice the ejection ending.
        await sidecar.Proxy.WaitUntilAsync(async () => await GaugeAsync(sidecar.Proxy, ActiveGauge) == 0, "the ejection to be counted back", TimeSpan.FromSeconds(5));
        Assert.True(DateTime.UtcNow - ejectedAt >= TimeSpan.FromMilliseconds(700), "counted back before its ejection time was up");
        var endpoint = (await sidecar.Proxy.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")[0].GetProperty("endpoints")
            .EnumerateArray().Single(e => e.GetProperty("address").GetString() == failing.Address);
        Assert.False(endpoint.TryGetProperty("ejectedUntil", out _));

        // And it takes traffic again.
        for (var i = 0; i < 4; i++)
        {
            using var _ = await client.GetAsync(sidecar.OutboundUrl);
        }

        Assert.True(Volatile.Read(ref failingHits) > hitsAtEjection, "the endpoint got no request after it came back");
    }

    private static async Task<long> GaugeAsync(ProxyProcess proxy, string name) =>
        (await proxy.StatsAsync()).GetProperty("gauges").TryGetProperty(name, out var value) ? value.GetInt64() : 0;
}
