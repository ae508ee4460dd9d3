using MeshDev.Core.Discovery;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Outbound.LoadBalancing;
using MeshDev.Proxy.Outbound.OutlierDetection;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Tests.Proxy;

/// <summary>The circuit breaker's queue, the ring hash and outlier detection's ejection rules, without processes.</summary>
public sealed class TrafficPolicyUnitTests
{
    [Fact]
    public async Task Circuit_breaker_queues_up_to_the_pending_limit_and_hands_a_freed_slot_to_the_first_waiter()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(MaxRequests: 1, MaxPending: 1, MaxRetries: 1);

        Assert.Equal(Admission.Admitted, await breaker.AcquireAsync(limits, CancellationToken.None));
        var waiting = breaker.AcquireAsync(limits, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(Admission.Overflow, await breaker.AcquireAsync(limits, CancellationToken.None));

        breaker.Release();
        Assert.Equal(Admission.Queued, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, breaker.ActiveRequests);
        Assert.Equal(0, breaker.PendingRequests);
    }

    [Fact]
    public async Task A_waiter_that_gives_up_leaves_the_queue_and_its_slot_is_not_lost()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(1, 1, 1);
        await breaker.AcquireAsync(limits, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = breaker.AcquireAsync(limits, cancel.Token).AsTask();

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, breaker.PendingRequests);

        breaker.Release();
        Assert.Equal(0, breaker.ActiveRequests);
        Assert.Equal(Admission.Admitted, await breaker.AcquireAsync(limits, CancellationToken.None));
    }

    [Fact]
    public void Retries_beyond_max_retries_are_refused_until_one_finishes()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(10, 10, MaxRetries: 2);
        Assert.True(breaker.TryStartRetry(limits));
        Assert.True(breaker.TryStartRetry(limits));
        Assert.False(breaker.TryStartRetry(limits));
        breaker.RetryFinished();
        Assert.True(breaker.TryStartRetry(limits));
    }

    [Fact]
    public void Unset_limits_are_envoys_defaults_and_http2_uses_http2_max_requests()
    {
        Assert.Equal(CircuitBreakerLimits.Default, CircuitBreakerLimits.From(new ConnectionPool(), ServiceProtocol.Http));
        var pool = new ConnectionPool { MaxConnections = 3, Http2MaxRequests = 7, Http1MaxPendingRequests = 2 };
        Assert.Equal(new CircuitBreakerLimits(3, 2, 1024), CircuitBreakerLimits.From(pool, ServiceProtocol.Http));
        Assert.Equal(new CircuitBreakerLimits(7, 2, 1024), CircuitBreakerLimits.From(pool, ServiceProtocol.Grpc));
    }

    [Fact]
    public void Ring_hash_moves_only_the_keys_of_an_unavailable_endpoint()
    {
        var endpoints = Endpoints(4);
        var ring = new RingHashLoadBalancer(new ConsistentHash { HttpHeaderName = "x-user" }, endpoints);
        var keys = Enumerable.Range(0, 400).Select(i => $"user-{i}").ToArray();
        var before = keys.ToDictionary(k => k, k => ring.Pick(k, endpoints)!);

        Assert.Equal(4, before.Values.Distinct().Count());
        Assert.All(before.Values.GroupBy(e => e).Select(g => g.Count()), count => Assert.InRange(count, 40, 180));

        var withoutFirst = endpoints[1..];
        foreach (var key in keys)
        {
            var after = ring.Pick(key, withoutFirst)!;
            if (!ReferenceEquals(before[key], endpoints[0]))
            {
                Assert.Same(before[key], after);
            }
            else
            {
                Assert.NotSame(endpoints[0], after);
            }
        }
    }

    [Fact]
    public void Outlier_detection_ejects_at_the_threshold_but_never_beyond_max_ejection_percent_except_one()
    {
        var endpoints = Endpoints(4);
        var tracker = new EjectionTracker();
        var stats = new StatsRegistry().Cluster("reviews");
        var detector = new OutlierDetector(
            new OutlierDetectionPolicy(Consecutive5xx: 2, ConsecutiveGatewayErrors: 0, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), MaxEjectionPercent: 10, MinHealthPercent: 0),
            endpoints,
            tracker);

        detector.Record(endpoints[0], 500, stats);
        detector.Record(endpoints[0], 200, stats);
        detector.Record(endpoints[0], 500, stats);
        Assert.Equal(0, tracker.Active);

        detector.Record(endpoints[0], 500, stats);
        Assert.Equal(1, tracker.Active);
        Assert.Equal(1, stats.OutlierEjectionsEnforced.Value);
        Assert.Equal(1, stats.OutlierEjectionsActive.Value);
        Assert.Equal(endpoints[1..], OutlierDetector.Available(endpoints, tracker, stats));

        // 10 % of four endpoints: the first ejection was the one always allowed; a second is not.
        detector.Record(endpoints[1], 503, stats);
        detector.Record(endpoints[1], 503, stats);
        Assert.Equal(1, tracker.Active);
        Assert.Equal(3, OutlierDetector.Available(endpoints, tracker, stats).Length);
    }

    [Theory]
    [InlineData("reviews:9080", "reviews-shadow:9080")]
    [InlineData("reviews", "reviews-shadow")]
    [InlineData("[::1]", "[::1]-shadow")]
    public void Mirror_host_gets_envoys_shadow_suffix(string host, string expected) =>
        Assert.Equal(expected, RequestMirror.ShadowHost(host));

    private static UpstreamEndpoint[] Endpoints(int count) => Enumerable.Range(1, count)
        .Select(i => new UpstreamEndpoint($"p{i}", $"127.0.0.1:{1000 + i}", new Dictionary<string, string>(), true, new EndpointLoad()))
        .ToArray();
}
