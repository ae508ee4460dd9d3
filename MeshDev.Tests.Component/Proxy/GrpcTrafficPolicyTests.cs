using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// Outlier detection and retries for gRPC, judged by grpc-status as Envoy's router does: a gRPC instance that answers
/// UNAVAILABLE is a failing instance although every one of its answers is HTTP 200. MeshCertificates' unary
/// SignCertificate serves as the instances' API.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class GrpcTrafficPolicyTests
{
    private const string Ejections5xx = "cluster.reviews.outlier_detection.ejections_enforced_consecutive_5xx";
    private const string EjectionsGateway = "cluster.reviews.outlier_detection.ejections_enforced_consecutive_gateway_failure";

    [Fact]
    public async Task An_instance_answering_unavailable_trailers_only_is_ejected_by_consecutive_5xx_errors()
    {
        await using var healthy = await StartInstanceAsync(new Answering(Failure.None));
        var failing = new Answering(Failure.TrailersOnly);
        await using var failingInstance = await StartInstanceAsync(failing);
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Grpc,
            Snapshots.Endpoint(healthy.Address), Snapshots.Endpoint(failingInstance.Address));
        cluster.OutlierDetection = new OutlierDetection { Consecutive5XxErrors = 3, BaseEjectionTimeMs = 30_000, IntervalMs = 10_000, MaxEjectionPercent = 50 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster), "grpc");

        using var channel = GrpcChannel.ForAddress(sidecar.OutboundUrl);
        var client = new MeshCertificates.MeshCertificatesClient(channel);
        for (var i = 0; i < 20 && await sidecar.Proxy.CounterAsync(Ejections5xx) == 0; i++)
        {
            // Istio's default retry policy (unavailable among its conditions) takes a failed try to the other instance.
            await client.SignCertificateAsync(new SignCertificateRequest { ProxyId = $"call-{i}" });
        }

        Assert.Equal(1, await sidecar.Proxy.CounterAsync(Ejections5xx));
        Assert.Equal(3, failing.Calls);

        // Ejected: the failing instance gets nothing more.
        for (var i = 0; i < 6; i++)
        {
            var reply = await client.SignCertificateAsync(new SignCertificateRequest { ProxyId = "after" });
            Assert.Equal("ok", reply.TrustBundlePem.Single());
        }

        Assert.Equal(3, failing.Calls);
        Assert.True(await sidecar.Proxy.CounterAsync("cluster.reviews.grpc.0") >= 9);
        Assert.Equal(0, await sidecar.Proxy.CounterAsync("cluster.reviews.grpc.14"));
    }

    [Fact]
    public async Task An_instance_answering_unavailable_in_trailers_is_ejected_by_consecutive_gateway_errors()
    {
        await using var healthy = await StartInstanceAsync(new Answering(Failure.None));
        var failing = new Answering(Failure.InTrailers);
        await using var failingInstance = await StartInstanceAsync(failing);
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Grpc,
            Snapshots.Endpoint(healthy.Address), Snapshots.Endpoint(failingInstance.Address));
        cluster.OutlierDetection = new OutlierDetection { ConsecutiveGatewayErrors = 2, BaseEjectionTimeMs = 30_000, IntervalMs = 10_000, MaxEjectionPercent = 50 };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1", cluster), "grpc");

        using var channel = GrpcChannel.ForAddress(sidecar.OutboundUrl);
        var client = new MeshCertificates.MeshCertificatesClient(channel);
        var unavailable = 0;
        for (var i = 0; i < 20 && await sidecar.Proxy.CounterAsync(EjectionsGateway) == 0; i++)
        {
            try
            {
                await client.SignCertificateAsync(new SignCertificateRequest { ProxyId = $"call-{i}" });
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                // The status came after the headers had gone to the caller: too late for a retry, as in Envoy.
                unavailable++;
            }
        }

        Assert.Equal(1, await sidecar.Proxy.CounterAsync(EjectionsGateway));
        Assert.Equal(2, failing.Calls);
        Assert.Equal(2, unavailable);
        Assert.Equal(2, await sidecar.Proxy.CounterAsync("cluster.reviews.grpc.14"));
        Assert.Equal(2, await sidecar.Proxy.CounterAsync("cluster.reviews.grpc.failure"));
    }

    [Fact]
    public async Task A_unary_call_answered_unavailable_trailers_only_is_retried_on_another_instance()
    {
        var healthy = new Answering(Failure.None);
        await using var healthyInstance = await StartInstanceAsync(healthy);
        var failing = new Answering(Failure.TrailersOnly);
        await using var failingInstance = await StartInstanceAsync(failing);
        var route = Routes.Route("retried", "reviews");
        route.Retries = new RetryPolicy { Attempts = 2, RetryOn = { "unavailable" } };
        await using var sidecar = await ScriptedSidecar.StartAsync(Snapshots.Of("v1",
                Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Grpc,
                    Snapshots.Endpoint(healthyInstance.Address), Snapshots.Endpoint(failingInstance.Address)))
            .With(Routes.Table("reviews", route)), "grpc");

        using var channel = GrpcChannel.ForAddress(sidecar.OutboundUrl);
        var client = new MeshCertificates.MeshCertificatesClient(channel);
        for (var i = 0; i < 8; i++)
        {
            // The request message arrives whole on the retry: the instance echoes the proxy id it was sent.
            var reply = await client.SignCertificateAsync(new SignCertificateRequest { ProxyId = $"call-{i}", CsrPem = new string('c', 2000) });
            Assert.Equal($"call-{i}:2000", reply.CertificateChainPem.Single());
        }

        Assert.True(failing.Calls >= 1, "the failing instance was never tried");
        Assert.Equal(failing.Calls, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry"));
        Assert.Equal(failing.Calls, await sidecar.Proxy.CounterAsync("cluster.reviews.upstream_rq_retry_success"));
        Assert.Equal(8, await sidecar.Proxy.CounterAsync("cluster.reviews.grpc.success"));
    }

    private static Task<TestBackend> StartInstanceAsync(Answering service) => TestBackend.StartAsync(
        http2: true,
        services =>
        {
            services.AddGrpc();
            services.AddSingleton(service);
        },
        app => app.MapGrpcService<Answering>());

    private enum Failure
    {
        None,

        /// <summary>UNAVAILABLE before anything else: the status goes in the response headers.</summary>
        TrailersOnly,

        /// <summary>Headers first, then UNAVAILABLE in the trailers.</summary>
        InTrailers,
    }

    private sealed class Answering(Failure failure) : MeshCertificates.MeshCertificatesBase
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override async Task<SignCertificateResponse> SignCertificate(SignCertificateRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            switch (failure)
            {
                case Failure.TrailersOnly:
                    throw new RpcException(new Status(StatusCode.Unavailable, "instance draining"));
                case Failure.InTrailers:
                    await context.WriteResponseHeadersAsync([]);
                    throw new RpcException(new Status(StatusCode.Unavailable, "instance draining"));
            }

            return new SignCertificateResponse { CertificateChainPem = { $"{request.ProxyId}:{request.CsrPem.Length}" }, TrustBundlePem = { "ok" } };
        }
    }
}
