using MeshDev.Proxy.Outbound;
using MeshDev.Proxy.Outbound.CircuitBreaking;
using MeshDev.Proxy.Telemetry;
using MeshDev.Tests.ControlPlane;

namespace MeshDev.Tests.Proxy;

/// <summary>A request before its cluster's circuit breaker, and the retry budget the breaker keeps.</summary>
public sealed class RequestAdmissionTests
{
    private readonly ClusterStats _stats = new StatsRegistry().Cluster("reviews");

    [Fact]
    public async Task Below_the_limit_a_request_is_admitted_without_counting_an_overflow()
    {
        var breaker = new CircuitBreaker();

        Assert.True(await RequestAdmission.AdmitAsync(FaultInjectorTests.NewContext(), breaker, new CircuitBreakerLimits(1, 1, 1), _stats, null));

        Assert.Equal(1, breaker.ActiveRequests);
        Assert.Equal(0, _stats.ConnectionOverflow.Value);
    }

    [Fact]
    public async Task With_the_limit_and_the_pending_queue_full_the_request_gets_envoys_overflow_reply()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(1, 0, 1);
        Assert.True(await RequestAdmission.AdmitAsync(FaultInjectorTests.NewContext(), breaker, limits, _stats, null));
        var refused = FaultInjectorTests.NewContext();

        Assert.False(await RequestAdmission.AdmitAsync(refused, breaker, limits, _stats, null));

        Assert.Equal(503, refused.Response.StatusCode);
        Assert.Equal("true", refused.Response.Headers["x-envoy-overloaded"]);
        Assert.Equal(1, _stats.ConnectionOverflow.Value);
        Assert.Equal(1, _stats.PendingOverflow.Value);
        Assert.Equal(1, breaker.ActiveRequests);
    }

    [Fact]
    public async Task A_waiting_request_is_admitted_when_the_one_ahead_releases_and_counts_as_overflowed()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(1, 1, 1);
        Assert.True(await RequestAdmission.AdmitAsync(FaultInjectorTests.NewContext(), breaker, limits, _stats, null));

        var waiting = RequestAdmission.AdmitAsync(FaultInjectorTests.NewContext(), breaker, limits, _stats, null).AsTask();
        await Eventually.ValueAsync(() => Task.FromResult(breaker.PendingRequests), pending => pending == 1);
        Assert.False(waiting.IsCompleted);
        breaker.Release();

        Assert.True(await waiting);
        Assert.Equal(1, _stats.ConnectionOverflow.Value);
        Assert.Equal(0, _stats.PendingOverflow.Value);
    }

    [Fact]
    public async Task A_route_timeout_while_waiting_answers_504_and_leaves_the_queue()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(1, 1, 1);
        Assert.True(await RequestAdmission.AdmitAsync(FaultInjectorTests.NewContext(), breaker, limits, _stats, null));
        using var routeTimeout = new CancellationTokenSource();
        var context = FaultInjectorTests.NewContext();

        var waiting = RequestAdmission.AdmitAsync(context, breaker, limits, _stats, routeTimeout).AsTask();
        await Eventually.ValueAsync(() => Task.FromResult(breaker.PendingRequests), pending => pending == 1);
        await routeTimeout.CancelAsync();

        Assert.False(await waiting);
        Assert.Equal(504, context.Response.StatusCode);
        Assert.Equal(RouteTimeout.Body, FaultInjectorTests.Body(context));
        Assert.Equal(1, _stats.Timeouts.Value);
        Assert.Equal(0, breaker.PendingRequests);
    }

    [Fact]
    public void A_retry_slot_holds_at_most_one_retry_against_max_retries_and_gives_it_back_once()
    {
        var breaker = new CircuitBreaker();
        var limits = new CircuitBreakerLimits(10, 10, 1);
        var first = new RetrySlot(breaker);
        var second = new RetrySlot(breaker);

        Assert.True(first.TryTake(limits));
        Assert.False(second.TryTake(limits));
        first.Finish();
        first.Finish();

        Assert.True(second.TryTake(limits));
        Assert.False(new RetrySlot(breaker).TryTake(limits));
    }
}
