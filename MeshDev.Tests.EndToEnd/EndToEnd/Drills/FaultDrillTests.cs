using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Tests.ControlPlane;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd.Drills;

/// <summary>
/// Fault drills: steady traffic through the Bookinfo gateway at <see cref="RequestsPerSecond"/> while something
/// breaks, every request counted and every page read. Each drill runs a quiet lead-in, the fault and its recovery
/// (waited for as conditions), then a quiet tail, so the recovered mesh is measured too. With MESHDEV_SOAK_MINUTES set
/// a drill repeats its fault for that long and reports each mesh process's resident memory as it goes.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class FaultDrillTests(DrillFixture mesh, ITestOutputHelper output) : IClassFixture<DrillFixture>
{
    private const double RequestsPerSecond = 20;
    private static readonly TimeSpan LeadIn = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Tail = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SoakLeadIn = TimeSpan.FromSeconds(35);

    [Fact]
    public async Task Drill_control_plane_killed_and_restarted_fails_no_request()
    {
        var report = await RunDrillAsync("control plane SIGKILL", async () =>
        {
            var restartsBefore = RestartsOf("mesh");
            var pid = mesh.ProcessIdOf("mesh") ?? throw new InvalidOperationException("the control plane has no process id");
            Process.GetProcessById(pid).Kill(entireProcessTree: true);
            await WaitForRestartAsync("mesh", pid, restartsBefore);
            await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        });

        // The data plane runs on its last snapshot and certificate while the control plane is away.
        Assert.True(report.Failures.Count == 0, report.ToString());
    }

    [Fact]
    public async Task Drill_fifty_weight_flips_of_the_reviews_route_fail_no_request()
    {
        var changes = new MeshConfigChanges(mesh);
        await changes.ApplyFilesAsync("destination-rule-all.yaml");
        try
        {
            var flips = 0;
            var report = await RunDrillAsync("50 VirtualService weight flips", async () =>
            {
                for (var i = 0; i < 50; i++, flips++)
                {
                    // Each apply waits until every proxy has ACKed it.
                    await changes.ApplyYamlAsync("drill-reviews-weights", ReviewsWeights(i % 2 == 0 ? (80, 10, 10) : (10, 10, 80)));
                }
            });
            output.WriteLine($"{flips} config changes applied and ACKed by every proxy during the drill");
            Assert.Equal(50, flips);
            Assert.True(report.Failures.Count == 0, report.ToString());
        }
        finally
        {
            await changes.RevertAsync();
        }
    }

    [Fact]
    public async Task Drill_workload_certificates_rotating_every_few_seconds_fail_no_request()
    {
        var issuedBefore = 0L;
        var report = await RunDrillAsync("certificate rotation", async () =>
        {
            // Two full rotations of every proxy's certificate, counted at the CA.
            issuedBefore = await CertificatesIssuedAsync();
            var proxies = mesh.ProxyNames.Count();
            await Eventually.ValueAsync(CertificatesIssuedAsync, issued => issued >= issuedBefore + 2 * proxies, 3 * DrillFixture.CertificateLifetime);
        });
        var rotations = await CertificatesIssuedAsync() - issuedBefore;
        output.WriteLine($"{rotations} workload certificates issued during the drill (lifetime {DrillFixture.CertificateLifetime.TotalSeconds} s)");
        Assert.True(report.Failures.Count == 0, report.ToString());
    }

    [Fact]
    public async Task Drill_one_of_three_reviews_instances_killed_with_retries_and_outlier_detection_fails_at_most_a_few_requests_within_seconds()
    {
        var changes = new MeshConfigChanges(mesh);
        await changes.ApplyYamlAsync("drill-reviews-resilience", ReviewsResilience);
        try
        {
            var report = await RunDrillAsync("reviews-v2 app SIGKILL, retries and outlier detection on", async () =>
            {
                var pid = mesh.ProcessIdOf("reviews-v2") ?? throw new InvalidOperationException("reviews-v2 has no process id");
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
                await Eventually.ValueAsync(() => mesh.FindProxyAsync("reviews-v2-sidecar"), p => p?.GetProperty("healthy").GetBoolean() == false, TimeSpan.FromSeconds(10));
                await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
                // Apps are not restarted by the mesh; the drill brings it back as a developer would.
                await mesh.ExecuteAsync("reviews-v2", KnownResourceCommands.StartCommand);
                await Eventually.ValueAsync(() => mesh.FindProxyAsync("reviews-v2-sidecar"), p => p?.GetProperty("healthy").GetBoolean() == true, TimeSpan.FromSeconds(60));
                await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
            });

            // Retries (3, on 5xx and connect failures) send a request that meets the dead instance to another one;
            // what can still fail is a request whose every try met it before outlier detection ejected it and the
            // app probe (every 1 s) took it out of load balancing.
            Assert.True(report.Failures.Count <= 3, report.ToString());
            Assert.True(report.FailureWindow <= TimeSpan.FromSeconds(3), report.ToString());
        }
        finally
        {
            await changes.RevertAsync();
        }
    }

    [Fact]
    public async Task Drill_a_sidecar_killed_fails_at_most_a_few_requests_within_seconds()
    {
        var report = await RunDrillAsync("reviews-v3 sidecar SIGKILL", async () =>
        {
            var restartsBefore = RestartsOf("reviews-v3-sidecar");
            var pid = mesh.ProcessIdOf("reviews-v3-sidecar") ?? throw new InvalidOperationException("reviews-v3-sidecar has no process id");
            Process.GetProcessById(pid).Kill(entireProcessTree: true);
            await WaitForRestartAsync("reviews-v3-sidecar", pid, restartsBefore);
            await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        });

        // A dead sidecar refuses connections, which the default retry policy (connect-failure) sends elsewhere, and the
        // control plane takes it out of load balancing as soon as its admin port refuses too; what can fail is a
        // request already inside the sidecar when it died.
        Assert.True(report.Failures.Count <= 3, report.ToString());
        Assert.True(report.FailureWindow <= TimeSpan.FromSeconds(3), report.ToString());
    }

    /// <summary>
    /// Traffic for the lead-in, then the fault and its recovery, then the tail; in soak mode the fault repeats until
    /// the soak duration has passed, with resident memory sampled every 30 s.
    /// </summary>
    private async Task<TrafficReport> RunDrillAsync(string name, Func<Task> faultAndRecovery)
    {
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        await WarmUpAsync();
        var soak = DrillFixture.SoakDuration;
        var memory = new StringBuilder();
        var traffic = new SteadyTraffic(mesh.Http, RequestsPerSecond);
        traffic.Start();
        var nextSample = TimeSpan.Zero;
        var rounds = 0;
        do
        {
            // A soak spaces its faults beyond the AppHost's healthy-run reset (30 s), so each restart starts from the first backoff step.
            await QuietAsync(traffic, traffic.Elapsed + (soak is null ? LeadIn : SoakLeadIn), soak, memory, ref nextSample);
            await faultAndRecovery();
            rounds++;
        }
        while (soak is { } duration && traffic.Elapsed < duration);
        await QuietAsync(traffic, traffic.Elapsed + Tail, soak, memory, ref nextSample);
        var report = await traffic.StopAsync();

        output.WriteLine($"drill '{name}': {rounds} round(s) in {traffic.Elapsed.TotalSeconds:F0} s at {RequestsPerSecond} req/s: {report}");
        output.WriteLine($"resident memory (kB) after the drill: {MemoryLine()}");
        if (memory.Length > 0)
        {
            output.WriteLine("resident memory (kB) over the soak:");
            output.WriteLine(memory.ToString());
        }
        return report;
    }

    /// <summary>
    /// Apps fresh from start (JIT, connection pools) answer the first seconds at the drill's rate too slowly for
    /// productpage's own timeouts; a drill measures a mesh at its steady state, so it starts once the same traffic,
    /// not counted, has ended in ten full pages in a row.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var warmUp = new SteadyTraffic(mesh.Http, RequestsPerSecond);
        warmUp.Start();
        try
        {
            await Eventually.ValueAsync(async () =>
            {
                var fullInARow = 0;
                for (var i = 0; i < 10; i++)
                {
                    using var response = await mesh.Http.GetAsync(new Uri(BookinfoAppFixture.Gateway, "/productpage"));
                    fullInARow += SteadyTraffic.PageProblem(response.StatusCode, await response.Content.ReadAsStringAsync()) is null ? 1 : 0;
                }
                return fullInARow;
            }, full => full == 10, TimeSpan.FromSeconds(60));
        }
        finally
        {
            var report = await warmUp.StopAsync();
            output.WriteLine($"warm-up (not counted): {report}");
        }
    }

    /// <summary>Lets the traffic run until <paramref name="until"/>: a measurement window, not a wait for a condition.</summary>
    private Task QuietAsync(SteadyTraffic traffic, TimeSpan until, TimeSpan? soak, StringBuilder memory, ref TimeSpan nextSample)
    {
        if (soak is not null)
        {
            while (nextSample <= until)
            {
                memory.Append(CultureInfo.InvariantCulture, $"  t={nextSample.TotalSeconds:F0}s {MemoryLine()}").AppendLine();
                nextSample += TimeSpan.FromSeconds(30);
            }
        }
        var wait = until - traffic.Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    private string MemoryLine() =>
        string.Join(" ", mesh.ProxyNames.Append("mesh").Select(r => $"{r}={mesh.ResidentKilobytes(r)?.ToString(CultureInfo.InvariantCulture) ?? "-"}"));

    private int RestartsOf(string resource) =>
        int.TryParse(mesh.ResourceProperty(resource, "mesh.restarts"), CultureInfo.InvariantCulture, out var restarts) ? restarts : 0;

    private async Task WaitForRestartAsync(string resource, int killedPid, int restartsBefore)
    {
        await Eventually.ValueAsync(() => Task.FromResult(mesh.ProcessIdOf(resource)),
            pid => pid is { } id && id != killedPid && mesh.ResourceState(resource) == KnownResourceStates.Running && RestartsOf(resource) == restartsBefore + 1,
            TimeSpan.FromSeconds(60)); // the longest backoff (30 s) and a start
        output.WriteLine($"{resource} restarted by the AppHost ({mesh.ResourceProperty(resource, "mesh.lastExit")})");
    }

    private async Task<long> CertificatesIssuedAsync()
    {
        var issued = await mesh.Http.GetFromJsonAsync<JsonElement[]>(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/certificates")) ?? [];
        return issued.Sum(c => c.GetProperty("issuedCount").GetInt64());
    }

    private static string ReviewsWeights((int V1, int V2, int V3) weights) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: {weights.V1}
            - destination:
                host: reviews
                subset: v2
              weight: {weights.V2}
            - destination:
                host: reviews
                subset: v3
              weight: {weights.V3}
        """;

    private const string ReviewsResilience = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
            retries:
              attempts: 3
              retryOn: 5xx,connect-failure,refused-stream,reset
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          trafficPolicy:
            outlierDetection:
              consecutive5xxErrors: 1
              interval: 1s
              baseEjectionTime: 10s
              maxEjectionPercent: 50
        """;
}
