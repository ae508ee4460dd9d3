using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// The control plane's own CA with real sidecar processes: bootstrap tokens minted with the run's key, CSRs signed
/// over gRPC, certificates that chain to the root in the control plane's data folder, renewal under load, and the
/// refusals: a token for another identity, and an instance holding a genuine certificate for the wrong identity.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class MeshCaIntegrationTests
{
    private const string Xfcc = "x-forwarded-client-cert";
    private static readonly SpiffeId ProductPage = MeshCa.Identity("bookinfo-productpage");
    private static readonly SpiffeId Reviews = MeshCa.Identity("bookinfo-reviews");
    private static readonly SpiffeId Ratings = MeshCa.Identity("bookinfo-ratings");

    [Fact]
    public async Task Two_sidecars_talk_over_mtls_with_certificates_the_control_planes_ca_signed()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await EchoCallerAppAsync();
        await using var pair = await Pair.StartAsync(ca, app);

        using var client = new HttpClient();
        var body = await client.GetStringAsync(pair.OutboundUrl);
        Assert.StartsWith($"By={Reviews};Hash=", body);
        Assert.EndsWith($";URI={ProductPage}", body);

        var authority = await ca.AuthorityAsync();
        var root = X509Certificate2.CreateFromPem(authority.GetProperty("root").GetProperty("pem").GetString());
        Assert.Equal("generated", authority.GetProperty("source").GetString());
        var issued = await ca.IssuedAsync();
        foreach (var (proxy, identity) in new[] { (pair.ProductPage, ProductPage), (pair.Reviews, Reviews) })
        {
            var certs = await CertsAsync(proxy);
            Assert.Equal(identity.ToString(), certs.GetProperty("identity").GetString());
            Assert.Equal("valid", certs.GetProperty("state").GetString());
            var leaf = certs.GetProperty("certificateChain")[0];
            Assert.Equal(root.Subject, leaf.GetProperty("issuer").GetString());
            Assert.Equal([identity.ToString()], leaf.GetProperty("uriSans").EnumerateArray().Select(u => u.GetString()));
            // Not only the issuer's name: the leaf verifies against the CA's root, and that root is the proxy's trust bundle.
            Assert.Null(ChainProblem(X509Certificate2.CreateFromPem(leaf.GetProperty("pem").GetString()), root));
            var bundle = certs.GetProperty("trustBundle");
            Assert.Equal("snapshot", bundle.GetProperty("source").GetString());
            Assert.Equal([root.SerialNumber], bundle.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("serialNumber").GetString()));

            var entry = Assert.Single(issued, c => c.GetProperty("proxyId").GetString() == proxy.Settings.ProxyId);
            Assert.Equal(identity.ToString(), entry.GetProperty("identity").GetString());
            Assert.Equal(leaf.GetProperty("serialNumber").GetString(), entry.GetProperty("serialNumber").GetString());
        }

        Assert.Equal(2, authority.GetProperty("signed").GetInt64());
        Assert.Equal(0, authority.GetProperty("refused").GetInt64());
        Assert.Equal(1, await pair.ProductPage.CounterAsync("cluster.reviews.upstream_rq_mtls"));
        Assert.Equal(1, await pair.Reviews.CounterAsync("inbound.reviews.cx_tls"));

        // The caller's config_dump names the identity the hop must reach and that it goes over mTLS.
        var dump = await pair.ProductPage.ConfigDumpAsync();
        Assert.Equal(ProductPage.ToString(), dump.GetProperty("identity").GetString());
        var endpoint = dump.GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "reviews").GetProperty("endpoints")[0];
        Assert.Equal(Reviews.ToString(), endpoint.GetProperty("identity").GetString());
        Assert.True(endpoint.GetProperty("mtls").GetBoolean());
    }

    [Fact]
    public async Task A_tcp_service_rides_on_mtls_with_the_cas_certificates()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var db = TcpEchoBackend.Start("db-v1");
        await using var app = await TestBackend.StartHealthyAppAsync();
        await using var dbSidecar = await ProxyProcess.StartAsync(ca.Sidecar("db-v1", "db", "db", db.Url, protocol: "tcp"));
        var outboundPort = FreePort.Next();
        await using var caller = await ProxyProcess.StartAsync(ca.Sidecar("web-v1", "web", "web", app.Url).WithOutbound("db", outboundPort, "tcp"));
        await MutualTlsMesh.WaitReadyAsync(dbSidecar);
        await MutualTlsMesh.WaitReadyAsync(caller);
        await caller.WaitUntilAsync(async () => (await caller.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
            .Any(c => c.GetProperty("name").GetString() == "db" && c.GetProperty("endpoints").EnumerateArray().Any(e => e.GetProperty("healthy").GetBoolean())),
            "db's instance in web's snapshot");

        await using (var client = await TcpTestClient.ConnectAsync(outboundPort))
        {
            Assert.Equal("db-v1", await client.ReadLineAsync());
            await client.SendAsync("over the mesh's mTLS");
            client.ShutdownSend();
            Assert.Equal("over the mesh's mTLS", await client.ReadToEndAsync());
        }

        Assert.Equal(1, await caller.CounterAsync("cluster.db.upstream_cx_mtls"));
        Assert.Equal(1, await caller.CounterAsync("cluster.db.ssl.handshake"));
        Assert.Equal(1, await dbSidecar.CounterAsync("inbound.db.cx_tls"));
        Assert.Equal(0, await dbSidecar.CounterAsync("inbound.db.cx_plaintext"));
        var endpoint = (await caller.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "db").GetProperty("endpoints")[0];
        Assert.Equal(MeshCa.Identity("db").ToString(), endpoint.GetProperty("identity").GetString());
        Assert.True(endpoint.GetProperty("mtls").GetBoolean());

        // Istio's namespace-wide STRICT, applied as YAML: a plaintext TCP client is refused before it reaches the app.
        await ApplyAsync(ca, """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              mtls: {mode: STRICT}
            """);
        await dbSidecar.WaitUntilAsync(async () => (await dbSidecar.ConfigDumpAsync()).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("direction").GetString() == "inbound").GetProperty("mtlsMode").GetString() == "STRICT", "STRICT to reach db");
        await using (var plaintext = await TcpTestClient.ConnectAsync(dbSidecar.Settings.InboundPort))
        {
            await plaintext.SendAsync("plaintext");
            plaintext.ShutdownSend();
            Assert.Equal("", await plaintext.ReadToEndAsync());
        }

        Assert.Equal("db-v1\n", await TcpTestClient.GreetingAsync(outboundPort));
        Assert.Equal(1, await dbSidecar.CounterAsync("inbound.db.plaintext_refused"));
        Assert.Equal(2, await dbSidecar.CounterAsync("inbound.db.cx_tls"));
        Assert.DoesNotContain(db.Received, r => r.Contains("plaintext"));
    }

    [Fact]
    public async Task One_minute_certificates_renew_twice_under_steady_load_with_no_failed_request()
    {
        await using var ca = await MeshCa.StartAsync(certificateLifetime: TimeSpan.FromMinutes(1));
        var callerCertificates = new ConcurrentDictionary<string, byte>();
        await using var app = await TestBackend.StartAsync(context =>
        {
            // Hash=<sha256 of the caller's certificate>: a new value is a renewed client certificate on a new connection.
            if (context.Request.Headers[Xfcc].ToString().Split(';') is [_, var hash, ..])
            {
                callerCertificates.TryAdd(hash, 0);
            }

            return context.Response.WriteAsync("ok");
        });
        await using var pair = await Pair.StartAsync(ca, app);
        // A fresh upstream connection every 25 requests (about every half second), so handshakes keep happening
        // with whatever certificates are in force, on both sides, across the renewals.
        await ApplyAsync(ca, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {http: {maxRequestsPerConnection: 25}}
            """);
        await pair.ProductPage.WaitUntilAsync(async () => (await pair.ProductPage.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")
            .EnumerateArray().Any(c => c.GetProperty("name").GetString() == "reviews" && c.GetProperty("circuitBreaker").GetProperty("maxRequests").GetInt64() > 0),
            "the DestinationRule to reach productpage");

        var serials = new Dictionary<ProxyProcess, List<string>> { [pair.ProductPage] = [], [pair.Reviews] = [] };
        long succeeded = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(pair.OutboundUrl);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK && body == "ok")
                    {
                        Interlocked.Increment(ref succeeded);
                    }
                    else
                    {
                        failures.Enqueue($"{DateTime.UtcNow:O} {(int)response.StatusCode} {body}");
                    }
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{DateTime.UtcNow:O} {e.Message}");
                }

                await Task.Delay(20);
            }
        });

        // Renewal at half of the lifetime (a little earlier by jitter): the second new serial comes after about a minute.
        var watch = Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            foreach (var (proxy, seen) in serials)
            {
                var serial = (await CertsAsync(proxy)).GetProperty("certificateChain")[0].GetProperty("serialNumber").GetString()!;
                if (seen.LastOrDefault() != serial)
                {
                    seen.Add(serial);
                }
            }
            return serials.Values.All(s => s.Count >= 3);
        }, "each proxy's second renewal", TimeSpan.FromSeconds(120),
        () => string.Join("; ", serials.Select(s => $"{s.Key.Settings.ProxyId}: {string.Join(", ", s.Value)}")));

        // A little more load on the newest certificates, then stop.
        await Task.Delay(2000);
        await stop.CancelAsync();
        await load;

        Assert.All(serials, s => Assert.True(s.Value.Count >= 3, $"{s.Key.Settings.ProxyId} serials: {string.Join(", ", s.Value)} in {watch.Elapsed}"));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {succeeded + failures.Count} requests failed:\n{string.Join("\n", failures.Take(10))}");
        Assert.True(succeeded > 1000, $"only {succeeded} requests were made");
        Assert.True(callerCertificates.Count >= 3, $"client certificates the server saw: {callerCertificates.Count}");

        // The CA saw each proxy renew; every certificate it handed out is the one in force or an earlier one.
        var issued = await ca.IssuedAsync();
        foreach (var (proxy, seen) in serials)
        {
            var entry = Assert.Single(issued, c => c.GetProperty("proxyId").GetString() == proxy.Settings.ProxyId);
            Assert.True(entry.GetProperty("issuedCount").GetInt64() >= 3);
            Assert.Contains(entry.GetProperty("serialNumber").GetString(), seen);
            var lifetime = entry.GetProperty("notAfter").GetDateTimeOffset() - entry.GetProperty("issuedAt").GetDateTimeOffset();
            Assert.InRange(lifetime.TotalSeconds, 55, 61);
        }

        Assert.Contains("replacing serial", pair.ProductPage.Output);
    }

    [Fact]
    public async Task A_proxy_whose_token_proves_another_identity_is_refused_by_the_ca_and_stays_not_ready()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await TestBackend.StartHealthyAppAsync();
        // Configured as bookinfo-reviews, but holding ratings' token: its CSR asks for reviews, the token proves ratings.
        await using var proxy = await ProxyProcess.StartAsync(
            ca.Sidecar("reviews-v1", "reviews", "bookinfo-reviews", app.Url).Set(Keys.IdentityToken, ca.Token(Ratings)));

        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Body.Contains("PermissionDenied"), "the CA's refusal in /ready");
        var (status, ready) = await proxy.GetAdminAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains($"no workload certificate for {Reviews} yet", ready);
        Assert.Contains($"asked for {Reviews}, but its bootstrap token proves {Ratings}", ready);
        Assert.Equal("pending", (await CertsAsync(proxy)).GetProperty("state").GetString());

        // The proxy keeps asking (with backoff); each request is refused and counted.
        var refusedBefore = (await ca.AuthorityAsync()).GetProperty("refusedBy").GetProperty("permissionDenied").GetInt64();
        Assert.True(refusedBefore >= 1);
        await proxy.WaitUntilAsync(async () => (await ca.AuthorityAsync()).GetProperty("refusedBy").GetProperty("permissionDenied").GetInt64() > refusedBefore,
            "another refused attempt", TimeSpan.FromSeconds(20));
        var authority = await ca.AuthorityAsync();
        Assert.Equal(0, authority.GetProperty("signed").GetInt64());
        Assert.Equal(authority.GetProperty("refused").GetInt64(), authority.GetProperty("refusedBy").GetProperty("permissionDenied").GetInt64());
        Assert.DoesNotContain(await ca.IssuedAsync(), c => c.GetProperty("proxyId").GetString() == "reviews-v1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await proxy.GetAdminAsync("/ready")).Status);
    }

    [Fact]
    public async Task An_instance_holding_the_cas_certificate_for_another_identity_is_refused_by_callers()
    {
        await using var ca = await MeshCa.StartAsync();
        await using var app = await EchoCallerAppAsync();
        await using var pair = await Pair.StartAsync(ca, app);

        // The impostor got a genuine certificate from this CA, for ratings (with ratings' token), and registers as an
        // instance of reviews claiming reviews' identity.
        using var ratingsCertificate = await SignAsync(ca, Ratings, "ratings-impostor");
        Assert.Equal(Ratings, SpiffeId.FromCertificate(ratingsCertificate));
        await using var impostor = await TlsImpostor.StartAsync(ratingsCertificate);
        var hello = TestProxy.Sidecar("reviews-impostor", "reviews", impostor.Address);
        hello.Identity = Reviews.ToString();
        await using var registration = await ca.ControlPlane.ConnectAsync(hello);
        await pair.ProductPage.WaitUntilAsync(async () => (await pair.ProductPage.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")
            .EnumerateArray().Single(c => c.GetProperty("name").GetString() == "reviews").GetProperty("endpoints").GetArrayLength() == 2,
            "the impostor to be an endpoint of reviews at productpage");

        using var client = new HttpClient();
        for (var i = 0; i < 6; i++)
        {
            // A try that meets the impostor fails its handshake (a connect failure) and is retried on the genuine instance.
            Assert.EndsWith($";URI={ProductPage}", await client.GetStringAsync(pair.OutboundUrl));
        }

        Assert.Equal(0, impostor.Requests);
        Assert.True(await pair.ProductPage.CounterAsync("cluster.reviews.ssl.fail_verify_san") >= 1);
        Assert.Contains($"the server presented {Ratings}, expected {Reviews}", pair.ProductPage.Output);
    }

    /// <summary>productpage's sidecar (outbound listener for reviews) and reviews' sidecar in front of the app, both with tokens.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        public ProxyProcess ProductPage { get; private init; } = null!;
        public ProxyProcess Reviews { get; private init; } = null!;
        public string OutboundUrl { get; private init; } = "";
        private TestBackend CallerApp { get; init; } = null!;

        public static async Task<Pair> StartAsync(MeshCa ca, TestBackend reviewsApp)
        {
            var callerApp = await TestBackend.StartHealthyAppAsync();
            var outboundPort = FreePort.Next();
            var reviewsStart = ProxyProcess.StartAsync(ca.Sidecar("reviews-v1", "reviews", "bookinfo-reviews", reviewsApp.Url));
            var productPageStart = ProxyProcess.StartAsync(
                ca.Sidecar("productpage-v1", "productpage", "bookinfo-productpage", callerApp.Url).WithOutbound("reviews", outboundPort));
            var pair = new Pair
            {
                CallerApp = callerApp, Reviews = await reviewsStart, ProductPage = await productPageStart, OutboundUrl = $"http://127.0.0.1:{outboundPort}/",
            };
            await MutualTlsMesh.WaitReadyAsync(pair.Reviews);
            await MutualTlsMesh.WaitReadyAsync(pair.ProductPage);
            await pair.ProductPage.WaitUntilAsync(async () => (await pair.ProductPage.ConfigDumpAsync()).GetProperty("snapshot").GetProperty("clusters")
                .EnumerateArray().Any(c => c.GetProperty("name").GetString() == "reviews" && c.GetProperty("endpoints").EnumerateArray()
                    .Any(e => e.GetProperty("healthy").GetBoolean() && e.GetProperty("identity").GetString() == MeshCaIntegrationTests.Reviews.ToString())),
                "reviews' instance with its identity in productpage's snapshot");
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await ProductPage.DisposeAsync();
            await Reviews.DisposeAsync();
            await CallerApp.DisposeAsync();
        }
    }

    /// <summary>Asks the CA for a certificate over its gRPC API, as a proxy does, with a token for that identity.</summary>
    private static async Task<X509Certificate2> SignAsync(MeshCa ca, SpiffeId identity, string proxyId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(identity.ToUri());
        request.CertificateExtensions.Add(names.Build(critical: true));
        var response = await new MeshCertificates.MeshCertificatesClient(ca.ControlPlane.Grpc).SignCertificateAsync(
            new SignCertificateRequest { CsrPem = request.CreateSigningRequestPem(), ProxyId = proxyId },
            new Metadata { { "authorization", "Bearer " + ca.Token(identity) } });
        using var signed = X509Certificate2.CreateFromPem(response.CertificateChainPem[0]);
        using var withKey = signed.CopyWithPrivateKey(key);
        // Through PKCS#12 so that the TLS server can use the key after this method's ECDsa is gone.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static string? ChainProblem(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf) ? null : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation));
    }

    private static async Task ApplyAsync(MeshCa ca, string yaml)
    {
        using var response = await ca.ControlPlane.Http.PostAsync("/api/v1/config", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> CertsAsync(ProxyProcess proxy) =>
        JsonDocument.Parse((await proxy.GetAdminAsync("/certs")).Body).RootElement;

    /// <summary>An app that answers with the x-forwarded-client-cert its sidecar set.</summary>
    private static Task<TestBackend> EchoCallerAppAsync() =>
        TestBackend.StartAsync(context => context.Response.WriteAsync(context.Request.Headers[Xfcc].ToString()));

    /// <summary>A TLS server that answers any request, to stand where a sidecar should be.</summary>
    private sealed class TlsImpostor : IAsyncDisposable
    {
        private int _requests;
        private WebApplication _web = null!;

        public string Address { get; private set; } = "";

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<TlsImpostor> StartAsync(X509Certificate2 certificate)
        {
            var impostor = new TlsImpostor();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
            builder.WebHost.UseKestrelHttpsConfiguration();
            var port = FreePort.Next();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            }));
            impostor._web = builder.Build();
            impostor._web.Run(context =>
            {
                Interlocked.Increment(ref impostor._requests);
                return context.Response.WriteAsync("impostor");
            });
            await impostor._web.StartAsync();
            impostor.Address = $"127.0.0.1:{port}";
            return impostor;
        }

        public async ValueTask DisposeAsync()
        {
            await _web.StopAsync();
            await _web.DisposeAsync();
        }
    }
}
