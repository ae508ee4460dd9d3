using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Outbound.OutlierDetection;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Outbound.Clusters;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Tests.Proxy;

/// <summary>The outlier detector's interval sweep, the gRPC-to-HTTP mapping it judges by, and the retry buffer.</summary>
public sealed class OutlierSweepUnitTests
{
    [Fact]
    public void A_sweep_counts_an_ejection_back_only_once_its_time_is_up_and_decays_the_multiplier_an_interval_later()
    {
        var endpoints = Enumerable.Range(1, 2)
            .Select(i => new UpstreamEndpoint($"p{i}", $"127.0.0.1:{2000 + i}", new Dictionary<string, string>(), true, new EndpointLoad()))
            .ToArray();
        var tracker = new EjectionTracker();
        var stats = new StatsRegistry().Cluster("ratings");
        var detector = new OutlierDetector(
            new OutlierDetectionPolicy(Consecutive5xx: 1, ConsecutiveGatewayErrors: 0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), MaxEjectionPercent: 50, MinHealthPercent: 0),
            endpoints,
            tracker);

        detector.Record(endpoints[0], GrpcStatusCodes.ToHttpStatus(GrpcStatusCodes.Unavailable), stats);
        var ejectedUntil = endpoints[0].Outlier.EjectedUntil(DateTime.UtcNow);
        Assert.NotNull(ejectedUntil);
        Assert.Equal(1, stats.OutlierEjectionsActive.Value);
        Assert.Equal(1, endpoints[0].Outlier.Multiplier);

        detector.Sweep(ejectedUntil.Value.AddMilliseconds(-1), stats);
        Assert.Equal(1, stats.OutlierEjectionsActive.Value);

        detector.Sweep(ejectedUntil.Value, stats);
        Assert.Equal(0, stats.OutlierEjectionsActive.Value);
        Assert.Equal(0, tracker.Active);

        // Healthy through a whole interval after that: the next ejection would be short again.
        detector.Sweep(ejectedUntil.Value.AddSeconds(2), stats);
        Assert.Equal(0, endpoints[0].Outlier.Multiplier);
        Assert.Equal(1, endpoints[0].Outlier.Ejections);
    }

    [Theory]
    [InlineData(GrpcStatusCodes.Ok, 200)]
    [InlineData(GrpcStatusCodes.Unavailable, 503)]
    [InlineData(GrpcStatusCodes.DeadlineExceeded, 504)]
    [InlineData(12, 501)] // UNIMPLEMENTED
    [InlineData(GrpcStatusCodes.Internal, 500)]
    [InlineData(2, 500)] // UNKNOWN
    [InlineData(GrpcStatusCodes.ResourceExhausted, 429)]
    [InlineData(GrpcStatusCodes.Cancelled, 499)]
    [InlineData(99, 500)]
    public void Grpc_statuses_map_to_envoys_http_statuses(int grpcStatus, int httpStatus) =>
        Assert.Equal(httpStatus, GrpcStatusCodes.ToHttpStatus(grpcStatus));

    [Fact]
    public async Task A_recorded_body_replays_what_was_read_then_continues_with_the_rest()
    {
        var body = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        using var recorded = new RecordingRequestBody(new MemoryStream(body), limit: 64 * 1024, abandoned: null);

        var firstTry = new byte[3000];
        await recorded.ReadExactlyAsync(firstTry);
        recorded.Rewind();
        using var secondTry = new MemoryStream();
        await recorded.CopyToAsync(secondTry);

        Assert.Equal(body, secondTry.ToArray());
        Assert.True(recorded.CanReplay);
    }

    [Fact]
    public async Task A_recorded_body_that_outgrows_the_buffer_is_passed_on_whole_but_cannot_be_replayed()
    {
        var abandoned = new StatsRegistry().Cluster("ratings").RetryOrShadowAbandoned;
        var body = new byte[100_000];
        using var recorded = new RecordingRequestBody(new MemoryStream(body), limit: 64 * 1024, abandoned);

        using var copy = new MemoryStream();
        await recorded.CopyToAsync(copy);

        Assert.Equal(body.Length, copy.Length);
        Assert.False(recorded.CanReplay);
        Assert.Equal(1, abandoned.Value);
        Assert.Throws<InvalidOperationException>(recorded.Rewind);
    }
}
