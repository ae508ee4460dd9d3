using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>Retries of requests whose body has no content-length: kept up to the retry buffer, given up beyond it.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class RetryBodyTests
{
    [Fact]
    public async Task A_chunked_body_within_the_retry_buffer_is_sent_again_whole_on_the_retry()
    {
        var failedBodies = new List<int>();
        await using var failing = await TestBackend.StartAsync(async c =>
        {
            var body = await ReadAllAsync(c.Request.Body);
            lock (failedBodies)
            {
                failedBodies.Add(body.Length);
            }

            c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await c.Response.WriteAsync("down");
        });
        await using var healthy = await TestBackend.StartAsync(async c => await c.Response.WriteAsync($"got {(await ReadAllAsync(c.Request.Body)).Length}"));
        await using var sidecar = await SidecarWithRetriesAsync(failing, healthy);

        using var client = new HttpClient();
        for (var i = 0; i < 6; i++)
        {
            var size = 20_000 + i;
            using var response = await client.SendAsync(ChunkedPost(sidecar.OutboundUrl, size));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"got {size}", await response.Content.ReadAsStringAsync());
        }

        Assert.NotEmpty(failedBodies);
        Assert.Equal(failedBodies.Count, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry"));
        Assert.Equal(0, await sidecar.Proxy.CounterAsync("cluster.reviews.retry_or_shadow_abandoned"));
    }

    [Fact]
    public async Task A_chunked_body_beyond_the_retry_buffer_is_not_retried_and_the_abandoned_buffer_is_counted()
    {
        var failingHits = 0;
        await using var failing = await TestBackend.StartAsync(async c =>
        {
            Interlocked.Increment(ref failingHits);
            await ReadAllAsync(c.Request.Body);
            c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await c.Response.WriteAsync("down");
        });
        await using var sidecar = await SidecarWithRetriesAsync(failing);

        using var client = new HttpClient();
        using var response = await client.SendAsync(ChunkedPost(sidecar.OutboundUrl, 200_000));

        // The failing answer is the caller's: the body went upstream as it came and no longer fits the buffer.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("down", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, failingHits);
        Assert.Equal(1, await sidecar.Proxy.CounterAsync("cluster.reviews.retry_or_shadow_abandoned"));
        Assert.Equal(0, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry"));
    }

    private static async Task<ScriptedSidecar> SidecarWithRetriesAsync(params TestBackend[] backends)
    {
        var route = Routes.Route("retried", "reviews");
        route.Retries = new RetryPolicy { Attempts = 2, RetryOn = { "5xx" } };
        return await ScriptedSidecar.StartAsync(Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backends.Select(b => b.Address).ToArray()))
            .With(Routes.Table("reviews", route)));
    }

    private static HttpRequestMessage ChunkedPost(string url, int size)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(new string('b', size)) };
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    private static async Task<string> ReadAllAsync(Stream body)
    {
        using var reader = new StreamReader(body);
        return await reader.ReadToEndAsync();
    }
}
