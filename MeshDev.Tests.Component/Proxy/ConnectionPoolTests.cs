using System.Net;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Proxy;

/// <summary>connectionPool.http.maxRequestsPerConnection on an HTTP/1.1 cluster, seen from the backend's side of the wire.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task Max_requests_per_connection_1_gives_every_request_a_new_connection()
    {
        await using var backend = await StartPortReportingBackendAsync();
        await using var sidecar = await SidecarWithLimitAsync(backend, maxRequestsPerConnection: 1);

        // GETs and POSTs with a body alike, one after the other.
        var ports = await SendSequentiallyAsync(sidecar.OutboundUrl, 6);

        Assert.Equal(6, ports.Distinct().Count());
    }

    [Fact]
    public async Task Max_requests_per_connection_3_serves_requests_in_groups_of_three_per_connection()
    {
        await using var backend = await StartPortReportingBackendAsync();
        await using var sidecar = await SidecarWithLimitAsync(backend, maxRequestsPerConnection: 3);

        var ports = await SendSequentiallyAsync(sidecar.OutboundUrl, 9);

        Assert.Equal([ports[0], ports[0], ports[0], ports[3], ports[3], ports[3], ports[6], ports[6], ports[6]], ports);
        Assert.Equal(3, ports.Distinct().Count());
    }

    [Fact]
    public async Task Max_requests_per_connection_3_on_an_http2_cluster_serves_three_streams_per_connection()
    {
        await using var backend = await StartPortReportingBackendAsync(http2: true);
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http2, Snapshots.Endpoint(backend.Address));
        cluster.ConnectionPool = new ConnectionPool { MaxRequestsPerConnection = 3 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster), "http2");

        var ports = await SendSequentiallyAsync(sidecar.OutboundUrl, 9, HttpVersion.Version20);

        Assert.Equal([ports[0], ports[0], ports[0], ports[3], ports[3], ports[3], ports[6], ports[6], ports[6]], ports);
        Assert.Equal(3, ports.Distinct().Count());
    }

    [Fact]
    public async Task Without_a_limit_sequential_requests_share_one_connection()
    {
        await using var backend = await StartPortReportingBackendAsync();
        await using var sidecar = await SidecarWithLimitAsync(backend, maxRequestsPerConnection: 0);

        var ports = await SendSequentiallyAsync(sidecar.OutboundUrl, 5);

        Assert.Single(ports.Distinct());
    }

    private static Task<TestBackend> StartPortReportingBackendAsync(bool http2 = false) => TestBackend.StartAsync(async context =>
    {
        // Read whatever body came, so a POST's connection is reusable afterwards, then name the connection.
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        await context.Response.WriteAsync($"{context.Connection.RemotePort}|{body.Length}");
    }, http2);

    private static async Task<ScriptedSidecar> SidecarWithLimitAsync(TestBackend backend, uint maxRequestsPerConnection)
    {
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, backend.Address);
        cluster.ConnectionPool = new ConnectionPool { MaxRequestsPerConnection = maxRequestsPerConnection };
        return await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster));
    }

    /// <returns>The backend-side port of the connection that served each request, in order.</returns>
    private static async Task<int[]> SendSequentiallyAsync(string url, int count, Version? version = null)
    {
        using var client = new HttpClient { DefaultRequestVersion = version ?? HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            using var response = i % 2 == 0
                ? await client.GetAsync(url)
                : await client.PostAsync(url, new StringContent(new string('x', 1000 + i)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var parts = (await response.Content.ReadAsStringAsync()).Split('|');
            Assert.Equal(i % 2 == 0 ? 0 : 1000 + i, int.Parse(parts[1]));
            ports[i] = int.Parse(parts[0]);
        }

        return ports;
    }
}
