using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// Workload identity and mutual TLS between real sidecar processes, with certificates from a test CA on the
/// scripted control plane: sidecar to sidecar, protocols, refused peers, PeerAuthentication modes, rotation.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class MutualTlsTests
{
    private const string Xfcc = "x-forwarded-client-cert";

    [Fact]
    public async Task Two_sidecars_talk_over_mtls_and_the_app_sees_the_callers_spiffe_id()
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.OutboundUrl);
        // The calling app cannot vouch for anyone: the receiving sidecar replaces what it sends.
        request.Headers.Add(Xfcc, "By=spiffe://cluster.local/ns/default/sa/reviews;URI=spiffe://cluster.local/ns/default/sa/admin");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("HTTP/1.1 xfcc=By=spiffe://cluster.local/ns/default/sa/reviews;Hash=", body);
        Assert.EndsWith(";Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/productpage", body);
        Assert.DoesNotContain("sa/admin", body);

        Assert.Equal(MutualTlsMesh.ProductPage.ToString(), mesh.ClientStream.Hello.Identity);
        Assert.Equal(MutualTlsMesh.Reviews.ToString(), mesh.ServerStream.Hello.Identity);
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
        Assert.Equal(0, await mesh.Server.CounterAsync("inbound.reviews.cx_plaintext"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.reviews.ssl.handshake"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.reviews.upstream_rq_mtls"));
        Assert.Equal(0, await mesh.Client.CounterAsync("cluster.reviews.upstream_rq_plaintext"));
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task The_inbound_listener_of_an_http1_service_takes_http11_and_http2_by_alpn(string version)
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);
        using var certificate = mesh.Authority.Issue(MutualTlsMesh.ProductPage);
        using var client = mesh.DirectTlsClient(certificate, Version.Parse(version));

        using var response = await client.GetAsync("/");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(version), response.Version);
        // The app still gets its own protocol; the caller's identity came through the handshake.
        Assert.StartsWith("HTTP/1.1 xfcc=By=spiffe://cluster.local/ns/default/sa/reviews;", body);
        Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", body);
    }

    [Fact]
    public async Task Grpc_streams_over_mtls_between_sidecars()
    {
        await using var app = await TestBackend.StartAsync(
            http2: true,
            services => services.AddGrpc(),
            web =>
            {
                web.MapGrpcService<CallerEchoService>();
                web.MapGet("/health", () => "ok");
            });
        await using var mesh = await MutualTlsMesh.StartAsync(app, protocol: "grpc");

        using var channel = GrpcChannel.ForAddress(mesh.OutboundUrl);
        using var call = new MeshDiscovery.MeshDiscoveryClient(channel).StreamConfig();
        for (var i = 1; i <= 3; i++)
        {
            await call.RequestStream.WriteAsync(new ProxyMessage { Hello = new ProxyHello { ProxyId = $"m{i}" } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.StartsWith($"m{i} from By=spiffe://cluster.local/ns/default/sa/reviews;", call.ResponseStream.Current.Nonce);
            Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", call.ResponseStream.Current.Nonce);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
        Assert.Equal(1, await mesh.Client.CounterAsync("cluster.reviews.upstream_rq_mtls"));
    }

    [Fact]
    public async Task A_client_certificate_from_another_ca_or_none_at_all_is_refused()
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);
        using var otherAuthority = new TestCertificateAuthority("Another CA");
        using var foreign = otherAuthority.Issue(MutualTlsMesh.ProductPage);
        using var genuine = mesh.Authority.Issue(MutualTlsMesh.ProductPage);

        using (var client = mesh.DirectTlsClient(foreign))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/"));
        }

        using (var client = mesh.DirectTlsClient(null))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/"));
        }

        // The same request with the mesh CA's certificate for the same identity gets through.
        using (var client = mesh.DirectTlsClient(genuine))
        {
            Assert.Contains("URI=spiffe://cluster.local/ns/default/sa/productpage", await client.GetStringAsync("/"));
        }

        // (.NET's client tries a refused request on up to four fresh connections, so each refusal counts up to 4.)
        var untrusted = await mesh.Server.CounterAsync("inbound.reviews.ssl.fail_verify_error");
        var noCertificate = await mesh.Server.CounterAsync("inbound.reviews.ssl.fail_verify_no_cert");
        Assert.InRange(untrusted, 1, 4);
        Assert.InRange(noCertificate, 1, 4);
        Assert.Equal(untrusted + noCertificate, await mesh.Server.CounterAsync("inbound.reviews.ssl.connection_error"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
        Assert.Contains("not issued by the mesh's trust bundle", mesh.Server.Output);
    }

    [Fact]
    public async Task An_expired_client_certificate_is_refused()
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);
        using var expired = mesh.Authority.Issue(MutualTlsMesh.ProductPage, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));

        using var client = mesh.DirectTlsClient(expired);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/"));

        Assert.InRange(await mesh.Server.CounterAsync("inbound.reviews.ssl.fail_verify_error"), 1, 4);
        Assert.Equal(0, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
        Assert.Contains("has expired or is not yet valid", mesh.Server.Output);
    }

    [Fact]
    public async Task A_server_presenting_another_spiffe_id_is_refused_by_the_client_counted_and_retried_elsewhere()
    {
        var authority = new TestCertificateAuthority();
        // An instance that answers TLS with a genuine mesh certificate, but for "ratings".
        await using var impostor = await ImpostorAsync(authority.Issue(TestCertificateAuthority.Workload("ratings")));
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app, authority: authority, configureCluster: cluster =>
            cluster.Endpoints.Insert(0, new MeshDev.Core.Discovery.Endpoint { Address = impostor.Address, Healthy = true, ProxyId = "impostor", Identity = MutualTlsMesh.Reviews.ToString() }));

        using var client = new HttpClient();
        for (var i = 0; i < 4; i++)
        {
            // Round robin sends some first tries to the impostor; each fails its handshake, a connect failure,
            // and Istio's default retry policy takes the request to the genuine instance.
            Assert.Contains("URI=spiffe://cluster.local/ns/default/sa/productpage", await client.GetStringAsync(mesh.OutboundUrl));
        }

        Assert.Equal(0, impostor.Requests);
        Assert.True(await mesh.Client.CounterAsync("cluster.reviews.ssl.fail_verify_san") >= 1);
        Assert.True(await mesh.Client.CounterAsync("cluster.reviews.ssl.connection_error") >= 1);
        Assert.True(await mesh.Client.CounterAsync("cluster.reviews.upstream_cx_connect_fail") >= 1);
        Assert.Contains("the server presented spiffe://cluster.local/ns/default/sa/ratings, expected spiffe://cluster.local/ns/default/sa/reviews", mesh.Client.Output);

        // With the impostor alone, nothing reaches it: Envoy's connection-failure reply.
        var onlyImpostor = Snapshots.Of("v2", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
            new MeshDev.Core.Discovery.Endpoint { Address = impostor.Address, Healthy = true, ProxyId = "impostor", Identity = MutualTlsMesh.Reviews.ToString() }));
        mesh.ClientStream.Push(onlyImpostor);
        await mesh.ClientStream.NextAckAsync();
        using var response = await client.GetAsync(mesh.OutboundUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("connection failure", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, impostor.Requests);
    }

    [Fact]
    public async Task Strict_refuses_plaintext_while_mtls_callers_get_through()
    {
        await using var app = await EchoAppAsync();
        // Workload-wide PERMISSIVE, STRICT on the service port: the port-level mode wins, as in Istio.
        var security = new InboundSecurity { MtlsMode = MtlsMode.Permissive, PortMtls = { [9080] = MtlsMode.Strict } };
        await using var mesh = await MutualTlsMesh.StartAsync(app, serverSecurity: security);

        using (var plaintext = mesh.DirectPlaintextClient())
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => plaintext.GetStringAsync("/"));
        }

        using var client = new HttpClient();
        Assert.Contains("URI=spiffe://cluster.local/ns/default/sa/productpage", await client.GetStringAsync(mesh.OutboundUrl));
        Assert.InRange(await mesh.Server.CounterAsync("inbound.reviews.plaintext_refused"), 1, 4);
        Assert.Equal(0, await mesh.Server.CounterAsync("inbound.reviews.cx_plaintext"));
        Assert.Equal(1, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
    }

    [Fact]
    public async Task Permissive_takes_both_and_each_connection_meets_the_mode_of_the_current_snapshot()
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);
        using var certificate = mesh.Authority.Issue(MutualTlsMesh.ProductPage);

        // PERMISSIVE (unset): plaintext and mTLS on the same port; a plaintext caller's XFCC is dropped.
        using (var plaintext = mesh.DirectPlaintextClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Add(Xfcc, "By=spiffe://x;URI=spiffe://cluster.local/ns/default/sa/admin");
            using var response = await plaintext.SendAsync(request);
            Assert.Equal("HTTP/1.1 xfcc=", await response.Content.ReadAsStringAsync());
        }

        using (var tls = mesh.DirectTlsClient(certificate))
        {
            Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", await tls.GetStringAsync("/"));
        }

        // DISABLE: plaintext only.
        await PushServerModeAsync(mesh, "v2", MtlsMode.Disable);
        using (var tls = mesh.DirectTlsClient(certificate))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => tls.GetStringAsync("/"));
        }

        using (var plaintext = mesh.DirectPlaintextClient())
        {
            Assert.Equal("HTTP/1.1 xfcc=", await plaintext.GetStringAsync("/"));
        }

        // STRICT: mTLS only.
        await PushServerModeAsync(mesh, "v3", MtlsMode.Strict);
        using (var plaintext = mesh.DirectPlaintextClient())
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => plaintext.GetStringAsync("/"));
        }

        using (var tls = mesh.DirectTlsClient(certificate))
        {
            Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", await tls.GetStringAsync("/"));
        }

        Assert.Equal(2, await mesh.Server.CounterAsync("inbound.reviews.cx_plaintext"));
        Assert.Equal(2, await mesh.Server.CounterAsync("inbound.reviews.cx_tls"));
        Assert.InRange(await mesh.Server.CounterAsync("inbound.reviews.tls_refused"), 1, 4);
        Assert.InRange(await mesh.Server.CounterAsync("inbound.reviews.plaintext_refused"), 1, 4);
    }

    [Fact]
    public async Task The_gateway_reaches_a_strict_sidecar_over_mtls_as_the_ingress_gateways_identity()
    {
        using var authority = new TestCertificateAuthority();
        var gatewayIdentity = TestCertificateAuthority.Workload("istio-ingressgateway-service-account", "istio-system");
        var gatewayToken = authority.AllowToken("token-gateway", gatewayIdentity);
        var reviewsToken = authority.AllowToken("token-reviews", MutualTlsMesh.Reviews);
        await using var app = await EchoAppAsync();
        var reviewsInboundPort = FreePort.Next();
        await using var controlPlane = await ScriptedControlPlane.StartAsync(hello => hello.Service == "ingressgateway"
            ? Snapshots.Of("v1", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Http,
                    new MeshDev.Core.Discovery.Endpoint { Address = $"127.0.0.1:{reviewsInboundPort}", Healthy = true, ProxyId = "reviews-1", Identity = MutualTlsMesh.Reviews.ToString() }))
                .With(Routes.Table("80", Routes.Route("all", "reviews")))
            : new ProxySnapshot { Version = "v1", InboundSecurity = new InboundSecurity { MtlsMode = MtlsMode.Strict } },
            authority: authority);
        await using var reviews = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, app.Url, reviewsInboundPort).Set(Keys.IdentityToken, reviewsToken));
        var gatewayPort = FreePort.Next();
        await using var gateway = await ProxyProcess.StartAsync(ProxySettings.Gateway("ingressgateway-1", controlPlane.Address, gatewayPort)
            .Set(Keys.IdentityToken, gatewayToken)
            .Set(Keys.Namespace, "istio-system")
            .Set(Keys.ServiceAccount, "istio-ingressgateway-service-account"));
        await MutualTlsMesh.WaitReadyAsync(reviews);
        await MutualTlsMesh.WaitReadyAsync(gateway);

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gatewayPort}/reviews/0");
        // An outside client's claim is not passed on.
        request.Headers.Add(Xfcc, "URI=spiffe://cluster.local/ns/default/sa/productpage");
        var body = await (await client.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.StartsWith("HTTP/1.1 xfcc=By=spiffe://cluster.local/ns/default/sa/reviews;", body);
        Assert.EndsWith(";URI=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account", body);
        Assert.Equal(1, await gateway.CounterAsync("cluster.reviews.upstream_rq_mtls"));
        Assert.Equal(1, await reviews.CounterAsync("inbound.reviews.cx_tls"));
    }

    [Fact]
    public async Task Certificates_rotate_under_steady_load_with_no_failed_request()
    {
        var clientCertificates = new ConcurrentDictionary<string, byte>();
        await using var app = await TestBackend.StartAsync(context =>
        {
            var xfcc = context.Request.Headers[Xfcc].ToString();
            if (xfcc.Length > 0)
            {
                clientCertificates.TryAdd(xfcc.Split(';')[1], 0);
            }

            return context.Response.WriteAsync("ok");
        });
        // 8 s certificates, renewed about every 4 s; pooled connections idle for 250 ms are dropped, so the steady
        // load keeps opening new connections, each with the certificates in force at that moment.
        await using var mesh = await MutualTlsMesh.StartAsync(app, certificateLifetime: "8",
            configureCluster: cluster => cluster.ConnectionPool = new ConnectionPool { IdleTimeoutMs = 250 });

        var serials = new Dictionary<ProxyProcess, HashSet<string>> { [mesh.Client] = [], [mesh.Server] = [] };
        long succeeded = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        using var client = new HttpClient();

        async Task SendAsync()
        {
            try
            {
                using var response = await client.GetAsync(mesh.OutboundUrl);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && body == "ok")
                {
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    failures.Enqueue($"{(int)response.StatusCode} {body}");
                }
            }
            catch (HttpRequestException e)
            {
                failures.Enqueue(e.Message);
            }
        }

        var steady = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SendAsync();
            }
        });
        var bursts = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SendAsync()));
                await Task.Delay(1000);
            }
        });

        await Eventually.TrueAsync(async () =>
        {
            foreach (var (proxy, seen) in serials)
            {
                seen.Add((await CertsAsync(proxy)).GetProperty("certificateChain")[0].GetProperty("serialNumber").GetString()!);
            }
            return serials.Values.All(s => s.Count >= 3) && clientCertificates.Count >= 3;
        }, "three certificates on each proxy, and three client certificates seen by the server", TimeSpan.FromSeconds(60));

        // A little more load on the newest certificates, then stop.
        await Task.Delay(1000);
        await stop.CancelAsync();
        await Task.WhenAll(steady, bursts);

        Assert.Empty(failures);
        Assert.True(succeeded > 100, $"only {succeeded} requests were made");
        Assert.All(serials.Values, seen => Assert.True(seen.Count >= 3, $"serials seen: {string.Join(", ", seen)}"));
        // The server saw the client's rotated certificates on new connections.
        Assert.True(clientCertificates.Count >= 3, $"client certificates seen by the server: {clientCertificates.Count}");
        Assert.Contains("replacing serial", mesh.Client.Output);
    }

    [Fact]
    public async Task A_proxy_the_ca_refuses_retries_until_accepted_and_never_logs_its_token()
    {
        var token = "secret-token-" + Guid.NewGuid().ToString("N");
        using var authority = new TestCertificateAuthority();
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => new ProxySnapshot { Version = "v1" }, authority: authority);
        await using var app = await TestBackend.StartHealthyAppAsync();
        var settings = ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, app.Url)
            .Set(Keys.IdentityToken, token)
            .Set(Keys.ServiceAccount, "bookinfo-reviews")
            .Set(Keys.CertificateLifetime, "00:10:00")
            .Set("Logging:LogLevel:Default", "Debug");
        await using var proxy = await ProxyProcess.StartAsync(settings);

        // The CA does not know the token yet: no certificate, not ready, and /ready says why.
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Body.Contains("Unauthenticated"), "the CA's refusal in /ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await proxy.GetAdminAsync("/ready")).Status);
        Assert.Equal("pending", (await CertsAsync(proxy)).GetProperty("state").GetString());

        var id = TestCertificateAuthority.Workload("bookinfo-reviews");
        authority.AllowToken(token, id);
        await MutualTlsMesh.WaitReadyAsync(proxy);

        var certs = await CertsAsync(proxy);
        Assert.Equal(id.ToString(), certs.GetProperty("identity").GetString());
        Assert.Equal("valid", certs.GetProperty("state").GetString());
        var leaf = certs.GetProperty("certificateChain")[0];
        Assert.Equal([id.ToString()], leaf.GetProperty("uriSans").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal(authority.Root.Subject, leaf.GetProperty("issuer").GetString());
        var lifetime = leaf.GetProperty("notAfter").GetDateTimeOffset() - leaf.GetProperty("notBefore").GetDateTimeOffset();
        Assert.InRange(lifetime.TotalMinutes, 10, 10.1);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certs.GetProperty("chainPem").GetString());
        Assert.Equal("ca", certs.GetProperty("trustBundle").GetProperty("source").GetString());
        Assert.Equal(authority.Root.SerialNumber, certs.GetProperty("trustBundle").GetProperty("certificates")[0].GetProperty("serialNumber").GetString());

        var request = authority.Requests.Last();
        Assert.Equal("reviews-1", request.ProxyId);
        Assert.Equal(600, request.RequestedLifetimeSeconds);
        Assert.True(authority.Requests.Count >= 2, "the refused proxy asked again");

        var everything = proxy.Output + (await proxy.GetAdminAsync("/certs")).Body + (await proxy.GetAdminAsync("/config_dump")).Body
            + (await proxy.GetAdminAsync("/ready")).Body + (await proxy.GetAdminAsync("/stats")).Body;
        Assert.Contains("Workload certificate for spiffe://cluster.local/ns/default/sa/bookinfo-reviews", proxy.Output);
        Assert.DoesNotContain(token, everything);
        Assert.DoesNotContain("PRIVATE KEY", everything);
    }

    [Fact]
    public async Task A_snapshot_trust_bundle_takes_precedence_over_the_cas()
    {
        await using var app = await EchoAppAsync();
        await using var mesh = await MutualTlsMesh.StartAsync(app);
        using var otherAuthority = new TestCertificateAuthority("Next root");
        using var certificate = mesh.Authority.Issue(MutualTlsMesh.ProductPage);

        // The server is told to trust only another root: the mesh CA's clients are refused until it trusts both.
        mesh.ServerStream.Push(new ProxySnapshot { Version = "v2", TrustBundlePem = { otherAuthority.RootPem } });
        await mesh.ServerStream.NextAckAsync();
        using (var tls = mesh.DirectTlsClient(certificate))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => tls.GetStringAsync("/"));
        }

        Assert.Equal("snapshot", (await CertsAsync(mesh.Server)).GetProperty("trustBundle").GetProperty("source").GetString());

        mesh.ServerStream.Push(new ProxySnapshot { Version = "v3", TrustBundlePem = { otherAuthority.RootPem, mesh.Authority.RootPem } });
        await mesh.ServerStream.NextAckAsync();
        using (var tls = mesh.DirectTlsClient(certificate))
        {
            Assert.EndsWith("URI=spiffe://cluster.local/ns/default/sa/productpage", await tls.GetStringAsync("/"));
        }

        // A bundle that is not PEM is refused as a whole.
        mesh.ServerStream.Push(new ProxySnapshot { Version = "v4", TrustBundlePem = { "not a certificate" } });
        var nack = await mesh.ServerStream.NextNackAsync();
        Assert.Contains("trust_bundle_pem[0] is not a PEM certificate", nack.Reason);
    }

    private static async Task PushServerModeAsync(MutualTlsMesh mesh, string version, MtlsMode mode)
    {
        mesh.ServerStream.Push(new ProxySnapshot { Version = version, InboundSecurity = new InboundSecurity { MtlsMode = mode } });
        await mesh.ServerStream.NextAckAsync();
    }

    private static async Task<JsonElement> CertsAsync(ProxyProcess proxy) =>
        JsonDocument.Parse((await proxy.GetAdminAsync("/certs")).Body).RootElement;

    /// <summary>An app that answers with the protocol it was reached over and the x-forwarded-client-cert it got.</summary>
    private static Task<TestBackend> EchoAppAsync() =>
        TestBackend.StartAsync(context => context.Response.WriteAsync($"{context.Request.Protocol} xfcc={context.Request.Headers[Xfcc]}"));

    private static async Task<Impostor> ImpostorAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var impostor = new Impostor();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Critical);
        builder.WebHost.UseKestrelHttpsConfiguration();
        var port = FreePort.Next();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
            });
        }));
        var web = builder.Build();
        web.Run(context =>
        {
            Interlocked.Increment(ref impostor.RequestCount);
            return context.Response.WriteAsync("impostor");
        });
        await web.StartAsync();
        impostor.Web = web;
        impostor.Address = $"127.0.0.1:{port}";
        return impostor;
    }

    private sealed class Impostor : IAsyncDisposable
    {
        public int RequestCount;

        public WebApplication Web { get; set; } = null!;

        public string Address { get; set; } = "";

        public int Requests => Volatile.Read(ref RequestCount);

        public async ValueTask DisposeAsync()
        {
            await Web.StopAsync();
            await Web.DisposeAsync();
        }
    }

    /// <summary>A gRPC service that answers each message with its id and the x-forwarded-client-cert its sidecar set.</summary>
    private sealed class CallerEchoService : MeshDiscovery.MeshDiscoveryBase
    {
        public override async Task StreamConfig(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlPlaneMessage> responseStream, ServerCallContext context)
        {
            var caller = context.RequestHeaders.GetValue(Xfcc);
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(new ControlPlaneMessage { Nonce = $"{message.Hello.ProxyId} from {caller}" });
            }
        }
    }
}
