using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy;

/// <summary>
/// The admin listener's JSON, byte for byte: a real sidecar with a workload certificate serves a rich snapshot
/// (routes with every option, subsets, traffic policies, cluster TLS, peer authentication, authorization and JWT
/// rules, a refused push) after a few requests, and each JSON endpoint's body must equal its file in Proxy/Golden
/// once <see cref="GoldenNormaliser"/> has replaced what truly differs between runs. Any other change of one byte
/// fails the test: the admin JSON is read by tools, so its shape only changes on purpose, with the file.
/// On a mismatch the body is written beside the test assembly as Golden/&lt;name&gt;.actual.json.
/// </summary>
[Collection(ProxyProcessCollection.Name)]
public sealed class AdminJsonGoldenTests
{
    private const string Config = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - name: jason
            match:
            - headers: {end-user: {exact: jason}}
              uri: {prefix: /reviews}
              method: {exact: GET}
              queryParams: {debug: {regex: "on|yes"}}
              withoutHeaders: {x-skip: {exact: "1"}}
              ignoreUriCase: true
            route:
            - destination: {host: reviews, subset: v2}
            timeout: 3s
            retries: {attempts: 2, perTryTimeout: 1s, retryOn: "5xx,connect-failure,retriable-status-codes,409,503"}
            fault:
              delay: {fixedDelay: 2s, percentage: {value: 10}}
              abort: {httpStatus: 503, percentage: {value: 5}}
            headers:
              request: {set: {x-mesh: "reviews \"jason\""}, add: {x-trace: a+b}, remove: [x-internal]}
              response: {set: {x-served-by: reviews}, remove: [server]}
          - name: split
            match:
            - uri: {exact: /split}
            route:
            - destination: {host: reviews, subset: v1}
              weight: 70
            - destination: {host: reviews, subset: v2}
              weight: 30
          - name: default
            route:
            - destination: {host: reviews, subset: v1}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ratings}
        spec:
          hosts: [ratings]
          http:
          - name: old-path
            match:
            - uri: {prefix: /v0/}
            redirect: {uri: /v1/, authority: ratings.example, redirectCode: 308}
          - name: rewrite-regex
            match:
            - uri: {regex: "/r/[0-9]+"}
            rewrite: {uriRegexRewrite: {match: "^/r/([0-9]+)$", rewrite: "/ratings/\\1"}}
            route:
            - destination: {host: ratings}
          - name: rewrite
            rewrite: {uri: /ratings, authority: ratings.internal}
            route:
            - destination: {host: ratings}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer: {simple: ROUND_ROBIN}
            connectionPool:
              tcp: {maxConnections: 50}
              http: {http1MaxPendingRequests: 10, http2MaxRequests: 40, maxRetries: 3}
            outlierDetection: {consecutive5xxErrors: 4, consecutiveGatewayErrors: 2, interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 20}
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
            trafficPolicy:
              loadBalancer:
                consistentHash: {httpHeaderName: x-user}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings}
        spec:
          host: ratings
          trafficPolicy:
            tls: {mode: DISABLE}
            loadBalancer:
              consistentHash:
                httpCookie: {name: session, ttl: 60s, path: /ratings}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: productpage, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          mtls: {mode: STRICT}
          portLevelMtls:
            9080: {mode: PERMISSIVE}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-delete, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          action: DENY
          rules:
          - to: [{operation: {methods: [DELETE]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-mesh, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          rules:
          - from: [{source: {principals: ["cluster.local/ns/default/sa/*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: jwt, namespace: default}
        spec:
          selector: {matchLabels: {app: productpage}}
          jwtRules:
          - issuer: testing@secure.istio.io
            jwks: '{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}'
            fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
            fromParams: [token]
        """;

    [Fact]
    public async Task Every_admin_JSON_endpoint_answers_exactly_its_golden_file()
    {
        await using var reviews = await TestBackend.StartAsync(c => c.Response.WriteAsync("reviews"));
        await using var app = await TestBackend.StartHealthyAppAsync();
        using var authority = new TestCertificateAuthority();
        var snapshot = InlineSnapshot.Compile(Config,
            InlineSnapshot.Sidecar("productpage-1", "productpage", "v1", "127.0.0.1:1", "reviews", "ratings"),
            InlineSnapshot.Sidecar("reviews-v1", "reviews", "v1", reviews.Address),
            InlineSnapshot.Sidecar("reviews-v2", "reviews", "v2", "127.0.0.1:2"),
            InlineSnapshot.Sidecar("ratings-v1", "ratings", "v1", "127.0.0.1:3"));
        // The compiled version hashes the endpoints' ports; a fixed one keeps the file stable.
        snapshot.Version = "golden-v1";
        snapshot.Clusters.Single(c => c.Name == "reviews").Endpoints.Single(e => e.ProxyId == "reviews-v2").Identity =
            TestCertificateAuthority.Workload("reviews").ToString();
        snapshot.Clusters.Add(Snapshots.Cluster("mongodb", LoadBalancerPolicy.Random, ServiceProtocol.Tcp, Snapshots.Endpoint("127.0.0.1:4")));
        snapshot.RouteTables.Add(new RouteTable
        {
            Name = "mongodb",
            TcpRoutes = { new TcpRoute { Name = "default/mongodb/tcp/0", Destinations = { new WeightedDestination { Service = "mongodb", Weight = 100 } } } },
        });
        await using var controlPlane = await ScriptedControlPlane.StartAsync(authority: authority);
        var token = authority.AllowToken("token-productpage", TestCertificateAuthority.Workload("productpage"));
        var outboundPort = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url)
                .WithOutbound("reviews", outboundPort)
                .WithOutbound("ratings", FreePort.Next())
                .Set(Keys.IdentityToken, token));
        var stream = await controlPlane.NextStreamAsync("productpage-1");
        stream.Push(snapshot);
        await stream.NextAckAsync();
        stream.Push(Snapshots.Of("refused", Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, "reviews-v9:notaport")));
        await stream.NextNackAsync();
        await MutualTlsMesh.WaitReadyAsync(proxy);

        // Requests one after another, so that the statistics appear in one order on every run.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{outboundPort}") };
        foreach (var path in new[] { "/", "/reviews/1", "/missing" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await AssertGoldenAsync(proxy, "/config_dump", "config_dump.json");
        await AssertGoldenAsync(proxy, "/stats?format=json", "stats.json");
        await AssertGoldenAsync(proxy, "/certs", "certs.json");
        await AssertGoldenAsync(proxy, "/ready", "ready.json");
    }

    [Fact]
    public async Task A_proxy_without_identity_or_snapshot_answers_its_golden_files()
    {
        await using var app = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        await using var controlPlane = await ScriptedControlPlane.StartAsync(_ => null);
        await using var proxy = await ProxyProcess.StartAsync(ProxySettings.Sidecar("details-1", "details", controlPlane.Address, app.Url));
        await controlPlane.NextStreamAsync("details-1");
        await proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Body.Contains("HTTP 503"), "the failed probe to show in /ready");

        await AssertGoldenAsync(proxy, "/config_dump", "config_dump.empty.json");
        await AssertGoldenAsync(proxy, "/certs", "certs.disabled.json");
        await AssertGoldenAsync(proxy, "/ready", "ready.not-ready.json");
    }

    [Fact]
    public void The_normaliser_replaces_only_what_varies()
    {
        var json = """
            {"address": "127.0.0.1:40123", "appliedAt": "2026-12-04T18:30:01.1234567+00:00", "port": 9080,
              "serialNumber": "0A1B", "pem": "-----BEGIN CERTIFICATE-----\nAB\n-----END CERTIFICATE-----\n",
              "histograms": {"h": {"count": 3, "sum": 12.5, "buckets": [{"le": 1, "count": 2}]}}}
            """;
        Assert.Equal("""
            {"address": "127.0.0.1:{port}", "appliedAt": "{timestamp}", "port": 9080,
              "serialNumber": "{serial}", "pem": "{pem}",
              "histograms": {"h": {"count": 3, "sum": {duration}, "buckets": [{"le": 1, "count": {duration}}]}}}
            """, GoldenNormaliser.Normalise(json));
    }

    private static async Task AssertGoldenAsync(ProxyProcess proxy, string path, string file)
    {
        using var response = await proxy.Admin.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var actual = GoldenNormaliser.Normalise(Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
        var folder = Path.Combine(AppContext.BaseDirectory, "Proxy", "Golden");
        var expected = File.ReadAllText(Path.Combine(folder, file), Encoding.UTF8);
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            var written = Path.Combine(folder, Path.ChangeExtension(file, ".actual.json"));
            File.WriteAllText(written, actual, new UTF8Encoding(false));
            Assert.Fail($"{path} differs from Proxy/Golden/{file} at character {FirstDifference(expected, actual)}; the body is in {written}.");
        }
    }

    private static int FirstDifference(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}

/// <summary>
/// Replaces what differs between two runs of the same proxy by placeholders, and nothing else: loopback ports
/// ("127.0.0.1:{port}"; tests take free ports), timestamps ("{timestamp}"; applied-at, renewals, certificate
/// validity), certificate serial numbers ("{serial}") and PEM text ("{pem}"; keys are made per run), and the
/// histogram values that are durations ("sum" and the bucket counts, "{duration}"; a histogram's total count stays).
/// </summary>
public static partial class GoldenNormaliser
{
    public static string Normalise(string json)
    {
        json = Port().Replace(json, "127.0.0.1:{port}");
        json = Timestamp().Replace(json, "{timestamp}");
        json = Serial().Replace(json, "\"serialNumber\": \"{serial}\"");
        json = Pem().Replace(json, "\"{pem}\"");
        json = HistogramSum().Replace(json, "${name}{duration}");
        return BucketCount().Replace(json, "${le}{duration}");
    }

    [GeneratedRegex(@"127\.0\.0\.1:[0-9]+")]
    private static partial Regex Port();

    [GeneratedRegex(@"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"""serialNumber"": ""[0-9A-F]+""")]
    private static partial Regex Serial();

    [GeneratedRegex(@"""-----BEGIN CERTIFICATE-----(\\n|[A-Za-z0-9+/=])*-----END CERTIFICATE-----(\\n[^""]*)?""")]
    private static partial Regex Pem();

    [GeneratedRegex(@"(?<name>""sum"": )[0-9.eE+-]+")]
    private static partial Regex HistogramSum();

    [GeneratedRegex(@"(?<le>""le"": [0-9.eE+-]+,\s*""count"": )[0-9]+")]
    private static partial Regex BucketCount();
}
