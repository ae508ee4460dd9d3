using System.Diagnostics;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// Retries and outlier detection as a mesh app sees them: requests to http://details go to productpage's own
/// sidecar (the address its app uses), which routes them by the config applied here.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ResilienceTests(UnreliableDetailsFixture mesh, ITestOutputHelper output) : IClassFixture<UnreliableDetailsFixture>, IAsyncLifetime
{
    private readonly MeshConfigChanges _changes = new(mesh);

    private const string DetailsSubsets = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: details
        spec:
          host: details
          subsets:
          - name: faulty
            labels:
              version: v-faulty
          - name: pool
            labels:
              pool: outlier
        """;

    [Fact]
    public async Task Retries_on_5xx_turn_an_upstream_that_fails_30_percent_into_one_that_does_not()
    {
        await _changes.ApplyYamlAsync("details-subsets", DetailsSubsets);
        await _changes.ApplyYamlAsync("details-no-retries", FaultyRoute(attempts: 0));
        var without = await CallDetailsAsync(200);
        output.WriteLine($"no retries: {without.Ok} of 200 succeeded");
        Assert.InRange(without.Ok, 120, 160); // about 70 %

        var retriesBefore = (await mesh.GetStatsAsync("productpage-v1-sidecar")).Counter("cluster.details.upstream_rq_retry");
        await _changes.ApplyYamlAsync("details-retries", FaultyRoute(attempts: 3));
        var with = await CallDetailsAsync(200);
        var retries = (await mesh.GetStatsAsync("productpage-v1-sidecar")).Counter("cluster.details.upstream_rq_retry") - retriesBefore;
        output.WriteLine($"attempts 3 on 5xx: {with.Ok} of 200 succeeded, {retries} retries");
        Assert.True(with.Ok >= 198, $"with retries {with.Ok} of 200 succeeded; failures: {string.Join(", ", with.Failures)}");
        Assert.InRange(retries, 40, 100); // one per failed try: about 30 % of 200 plus the retries' own failures
    }

    [Fact]
    public async Task Outlier_detection_ejects_the_instance_answering_503_and_brings_it_back_after_the_base_ejection_time()
    {
        await _changes.ApplyYamlAsync("details-outlier", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: details
            spec:
              host: details
              trafficPolicy:
                outlierDetection:
                  consecutive5xxErrors: 2
                  interval: 1s
                  baseEjectionTime: 5s
                  maxEjectionPercent: 100
              subsets:
              - name: pool
                labels:
                  pool: outlier
            """);
        await _changes.ApplyYamlAsync("details-pool", PoolRoute);
        var sidecar = "productpage-v1-sidecar";
        var unavailable = "details-v-unavailable-sidecar";
        var ejectionsBefore = (await mesh.GetStatsAsync(sidecar)).Counter("cluster.details.outlier_detection.ejections_enforced_total");

        // Until two 503s in a row from it, the failing instance gets its share of the traffic. One request at a time,
        // so the moment of the ejection is known to within one request.
        var failures = 0;
        Stopwatch? ejectedAt = null;
        for (var i = 0; i < 40 && ejectedAt is null; i++)
        {
            failures += (await CallDetailsAsync(1)).Failures.Count;
            if ((await mesh.GetStatsAsync(sidecar)).Counter("cluster.details.outlier_detection.ejections_enforced_total") > ejectionsBefore)
            {
                ejectedAt = Stopwatch.StartNew();
            }
        }
        output.WriteLine($"ejected after {failures} failed requests");
        Assert.NotNull(ejectedAt);
        Assert.InRange(failures, 2, 10);

        // Ejected: every request goes to the two healthy instances.
        var reachedBefore = (await mesh.GetStatsAsync(unavailable)).Counter("inbound.details.rq_total");
        var ejected = await CallDetailsAsync(60);
        Assert.Equal(60, ejected.Ok);
        Assert.Equal(reachedBefore, (await mesh.GetStatsAsync(unavailable)).Counter("inbound.details.rq_total"));
        Assert.Equal(1, (await mesh.GetStatsAsync(sidecar)).Counter("cluster.details.outlier_detection.ejections_enforced_total") - ejectionsBefore);
        Assert.True(ejectedAt.Elapsed < TimeSpan.FromSeconds(5), $"the check took {ejectedAt.Elapsed}, longer than the ejection");

        // After baseEjectionTime it is back in the pool: it receives requests again (and, failing, is ejected again).
        var deadline = TimeSpan.FromSeconds(15);
        while ((await mesh.GetStatsAsync(unavailable)).Counter("inbound.details.rq_total") == reachedBefore)
        {
            Assert.True(ejectedAt.Elapsed < deadline, $"the ejected instance got no request within {deadline}");
            await CallDetailsAsync(5);
        }
        output.WriteLine($"the ejected instance was back after {ejectedAt.Elapsed.TotalSeconds:F1} s");
        Assert.True(ejectedAt.Elapsed >= TimeSpan.FromSeconds(5), $"it came back after {ejectedAt.Elapsed}, before the 5 s base ejection time");
    }

    /// <summary>All of details to the faulty instance, retrying 5xx answers <paramref name="attempts"/> times.</summary>
    private static string FaultyRoute(int attempts) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: details
        spec:
          hosts:
          - details
          http:
          - route:
            - destination:
                host: details
                subset: faulty
            retries:
              attempts: {attempts}
              retryOn: 5xx
        """;

    private const string PoolRoute = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: details
        spec:
          hosts:
          - details
          http:
          - route:
            - destination:
                host: details
                subset: pool
            retries:
              attempts: 0
        """;

    private async Task<(int Ok, List<int> Failures)> CallDetailsAsync(int count)
    {
        var listener = await mesh.GetOutboundListenerAsync("productpage-v1-sidecar", "details");
        var failures = new List<int>();
        var ok = 0;
        for (var i = 0; i < count; i++)
        {
            using var response = await mesh.Http.GetAsync(new Uri(listener, "/details/0"));
            if ((int)response.StatusCode == 200)
            {
                ok++;
            }
            else
            {
                failures.Add((int)response.StatusCode);
            }
        }
        return (ok, failures);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _changes.RevertAsync();
}
