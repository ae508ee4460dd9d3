using MeshDev.Proxy.Outbound.Faults;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>The fault filter stage on its own: what it answers, what it counts, and when it lets a request through.</summary>
public sealed class FaultInjectorTests
{
    private readonly RouteStats _stats = new StatsRegistry().Route("reviews");

    [Fact]
    public async Task An_http_abort_answers_with_its_status_and_envoys_body()
    {
        var context = NewContext();

        var goesOn = await FaultInjector.ApplyAsync(context, new RouteFault(TimeSpan.Zero, 0, 503, null, 100), _stats);

        Assert.False(goesOn);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal(FaultInjector.AbortBody, Body(context));
        Assert.Equal(1, _stats.AbortsInjected.Value);
        Assert.Equal(0, _stats.DelaysInjected.Value);
    }

    [Fact]
    public async Task A_grpc_abort_is_a_trailers_only_response_with_the_status_in_its_headers()
    {
        var context = NewContext();

        var goesOn = await FaultInjector.ApplyAsync(context, new RouteFault(TimeSpan.Zero, 0, 0, 14, 100), _stats);

        Assert.False(goesOn);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("14", context.Response.Headers["grpc-status"]);
        Assert.Equal(FaultInjector.AbortBody, context.Response.Headers["grpc-message"]);
        Assert.Equal("", Body(context));
    }

    [Fact]
    public async Task A_delay_lets_the_request_go_on_and_is_counted()
    {
        var context = NewContext();

        var goesOn = await FaultInjector.ApplyAsync(context, new RouteFault(TimeSpan.FromMilliseconds(1), 100, 0, null, 0), _stats);

        Assert.True(goesOn);
        Assert.Equal(1, _stats.DelaysInjected.Value);
        Assert.Equal(0, _stats.AbortsInjected.Value);
        Assert.False(context.Response.HasStarted);
    }

    [Fact]
    public async Task A_client_that_leaves_during_the_delay_ends_the_request_without_an_abort()
    {
        var context = NewContext();
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        context.RequestAborted = aborted.Token;

        // Both delay and abort apply to every request; the delay comes first and the client is gone by then.
        var goesOn = await FaultInjector.ApplyAsync(context, new RouteFault(TimeSpan.FromMinutes(5), 100, 500, null, 100), _stats);

        Assert.False(goesOn);
        Assert.Equal(1, _stats.DelaysInjected.Value);
        Assert.Equal(0, _stats.AbortsInjected.Value);
        Assert.Equal("", Body(context));
    }

    [Fact]
    public async Task A_fault_that_applies_to_no_request_changes_nothing()
    {
        var context = NewContext();

        var goesOn = await FaultInjector.ApplyAsync(context, new RouteFault(TimeSpan.FromMinutes(5), 0, 500, null, 0), _stats);

        Assert.True(goesOn);
        Assert.Equal(0, _stats.DelaysInjected.Value + _stats.AbortsInjected.Value);
        Assert.Equal(200, context.Response.StatusCode);
    }

    internal static DefaultHttpContext NewContext() => new() { Response = { Body = new MemoryStream() } };

    internal static string Body(HttpContext context) =>
        System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}
