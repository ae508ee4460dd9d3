using System.Collections.Frozen;
using System.Net.Http;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Outbound.Retries;
using MeshDev.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Tests.Proxy;

/// <summary>The retry loop's decisions that need no upstream: how a try failed, where the next goes, how long it waits.</summary>
public sealed class RetryLoopUnitTests
{
    [Fact]
    public void A_refused_connection_is_a_connect_failure()
    {
        var context = ContextWithError(new HttpRequestException(HttpRequestError.ConnectionError, "refused"));

        Assert.Equal(TryFailure.ConnectFailure, TryOutcome.Classify(context, ForwarderError.Request, null));
    }

    [Fact]
    public void A_try_whose_own_timeout_ran_out_is_a_per_try_timeout()
    {
        using var tryTimeout = new CancellationTokenSource();
        tryTimeout.Cancel();

        Assert.Equal(TryFailure.PerTryTimeout, TryOutcome.Classify(ContextWithError(new OperationCanceledException()), ForwarderError.Request, tryTimeout));
    }

    [Fact]
    public void An_http2_refused_stream_anywhere_in_the_exception_chain_is_refused_stream()
    {
        var context = ContextWithError(new HttpRequestException("stream", new HttpProtocolException(0x7, "REFUSED_STREAM", null)));

        Assert.Equal(TryFailure.RefusedStream, TryOutcome.Classify(context, ForwarderError.ResponseHeaders, null));
    }

    [Theory]
    [InlineData(ForwarderError.Request, TryFailure.Reset)]
    [InlineData(ForwarderError.ResponseHeaders, TryFailure.Reset)]
    [InlineData(ForwarderError.RequestTimedOut, TryFailure.Reset)]
    [InlineData(ForwarderError.RequestBodyClient, null)]
    public void Other_broken_tries_are_resets_or_have_no_name_in_retry_on(ForwarderError error, TryFailure? expected)
    {
        Assert.Equal(expected, TryOutcome.Classify(ContextWithError(new IOException("broken")), error, null));
    }

    [Fact]
    public void The_next_try_avoids_every_endpoint_tried_while_others_remain()
    {
        var all = Endpoints(3);

        var afterFirst = TryOutcome.NextCandidates(all, all[0], all, strict: false);
        var afterSecond = TryOutcome.NextCandidates(afterFirst, all[1], all, strict: false);

        Assert.Equal([all[1], all[2]], afterFirst);
        Assert.Equal([all[2]], afterSecond);
    }

    [Fact]
    public void When_every_endpoint_was_tried_a_bad_answer_starts_over_without_the_last_one_but_a_refused_connection_does_not()
    {
        var all = Endpoints(2);
        var onlyLast = new[] { all[1] };

        Assert.Equal([all[0]], TryOutcome.NextCandidates(onlyLast, all[1], all, strict: false));
        Assert.Empty(TryOutcome.NextCandidates(onlyLast, all[1], all, strict: true));
    }

    [Fact]
    public void A_single_endpoint_is_retried_after_a_bad_answer_but_not_after_a_refused_connection()
    {
        var single = Endpoints(1);

        Assert.Equal(single, TryOutcome.NextCandidates(single, single[0], single, strict: false));
        Assert.Empty(TryOutcome.NextCandidates(single, single[0], single, strict: true));
    }

    [Theory]
    [InlineData(0, 25)]
    [InlineData(1, 50)]
    [InlineData(2, 100)]
    [InlineData(3, 200)]
    [InlineData(4, 250)]
    [InlineData(9, 250)]
    public void The_back_off_doubles_from_25ms_and_stops_at_ten_times_the_base(int attempt, int ceiling) =>
        Assert.Equal(ceiling, RetryBackOff.CeilingMilliseconds(attempt));

    [Fact]
    public async Task A_back_off_that_the_route_timeout_ends_says_the_request_is_over()
    {
        using var routeTimeout = new CancellationTokenSource();
        routeTimeout.Cancel();

        Assert.False(await RetryBackOff.WaitAsync(new DefaultHttpContext(), attempt: 4, routeTimeout));
        Assert.True(await RetryBackOff.WaitAsync(new DefaultHttpContext(), attempt: 0, null));
    }

    private static DefaultHttpContext ContextWithError(Exception exception)
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IForwarderErrorFeature>(new RecordedError(exception));
        return context;
    }

    private static UpstreamEndpoint[] Endpoints(int count) => Enumerable.Range(1, count)
        .Select(i => new UpstreamEndpoint($"p{i}", $"127.0.0.1:{i}", FrozenDictionary<string, string>.Empty, true, new EndpointLoad()))
        .ToArray();

    /// <summary>What YARP's forwarder records on the context when a try fails; the real one is internal to YARP.</summary>
    private sealed record RecordedError(Exception Exception) : IForwarderErrorFeature
    {
        public ForwarderError Error => ForwarderError.Request;
    }
}
