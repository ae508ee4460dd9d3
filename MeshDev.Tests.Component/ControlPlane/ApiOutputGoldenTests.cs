using System.Text;
using System.Text.RegularExpressions;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Config;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// The control plane's HTTP API answers, byte for byte, what the committed files under Golden/api say: the records'
/// field names, order, null handling and enum spelling, the error bodies, and the compiled snapshots themselves
/// (every proxy's version is a hash of its snapshot's content). Only values that differ from run to run are
/// replaced before the comparison (see <see cref="Normalize"/>).
/// </summary>
/// <remarks>
/// After a deliberate change of the API, regenerate with <c>MESHDEV_UPDATE_GOLDEN=1</c> set, then review the diff.
/// </remarks>
public sealed class ApiOutputGoldenTests
{
    private static readonly string GoldenFolder = Path.Combine(Repository.Root(), "MeshDev.Tests.Component", "ControlPlane", "Golden", "api");

    // Times and the per-process instance id change on every run; their presence and nullness still count, so a value
    // is replaced only where it is a string. The CA is a fixed one (a test-only key committed beside the golden files),
    // so its values and every snapshot's version, which hashes the trust bundle too, are stable.
    private static readonly Regex VaryingStrings = new(
        "\"(connectedAt|disconnectedAt|sentAt|ackedAt|lastPushAt|startedAt|instanceId|at|generatedAt)\":\"[^\"]*\"",
        RegexOptions.CultureInvariant);

    [Fact]
    public async Task Every_read_and_write_answers_what_it_answered_before()
    {
        using var folder = new TemporaryFolder();
        using var data = new TemporaryFolder();
        var caKey = Path.Combine(data.Path, "ca.key");
        File.Copy(Path.Combine(GoldenFolder, "..", "fixed-test-ca.key"), caKey);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(caKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        foreach (var file in new[] { "bookinfo-gateway.yaml", "destination-rule-all.yaml", "virtual-service-all-v1.yaml" })
        {
            File.Copy(ConfigTestData.BookinfoFile(file), Path.Combine(folder.Path, file));
        }
        File.WriteAllText(Path.Combine(folder.Path, "peer-authentication.yaml"), """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: default
              namespace: default
            spec:
              mtls:
                mode: STRICT
            """);
        File.WriteAllText(Path.Combine(folder.Path, "broken.yaml"), """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: broken
            spec:
              hosts: [ratings]
              http:
              - route:
                - destination: {host: ratings, subset: v1}
                  weight: 150
            """);

        await using var host = await ControlPlaneHost.StartAsync(extraArgs:
        [
            $"--{MeshEnvironment.ControlPlane.Services}:0=productpage",
            $"--{MeshEnvironment.ControlPlane.Services}:1=details",
            $"--{MeshEnvironment.ControlPlane.Services}:2=reviews",
            $"--{MeshEnvironment.ControlPlane.Services}:3=ratings",
            $"--{MeshEnvironment.ControlPlane.ConfigDirectory}={folder.Path}",
            $"--{MeshEnvironment.ControlPlane.DataDirectory}={data.Path}",
            $"--{MeshEnvironment.ControlPlane.CaCertificatePath}={Path.Combine(GoldenFolder, "..", "fixed-test-ca.pem")}",
            $"--{MeshEnvironment.ControlPlane.CaKeyPath}={caKey}",
        ], configureServices: null);
        var answers = new Answers(host, folder.Path, data.Path);

        // Writes, in a fixed order, so the config version and every resource's origin are the same on every run.
        await answers.RecordAsync("apply-created", HttpMethod.Post, "/api/v1/config?source=reviews-test-v2.yaml",
            File.ReadAllText(ConfigTestData.BookinfoFile("virtual-service-reviews-test-v2.yaml")));
        await answers.RecordAsync("apply-unchanged", HttpMethod.Post, "/api/v1/config",
            File.ReadAllText(ConfigTestData.BookinfoFile("virtual-service-reviews-test-v2.yaml")));
        await answers.RecordAsync("apply-configured", HttpMethod.Post, "/api/v1/config",
            File.ReadAllText(ConfigTestData.BookinfoFile("virtual-service-reviews-v3.yaml")));
        await answers.RecordAsync("apply-ratings-abort", HttpMethod.Post, "/api/v1/config",
            File.ReadAllText(ConfigTestData.BookinfoFile("virtual-service-ratings-test-abort.yaml")));
        await answers.RecordAsync("apply-refused", HttpMethod.Post, "/api/v1/config", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: details
            spec:
              host: details
              trafficPolicy:
                loadBalancer:
                  simple: SOMETIMES
            """);
        await answers.RecordAsync("apply-not-yaml", HttpMethod.Post, "/api/v1/config", "kind: [unclosed");
        await answers.RecordAsync("analyze", HttpMethod.Post, "/api/v1/analyze",
            File.ReadAllText(ConfigTestData.BookinfoFile("virtual-service-reviews-50-v3.yaml")));
        await answers.RecordAsync("delete", HttpMethod.Delete, "/api/v1/config/VirtualService/default/ratings");
        await answers.RecordAsync("delete-missing", HttpMethod.Delete, "/api/v1/config/VirtualService/default/nothing");

        // Proxies: every Bookinfo sidecar and the gateway, acknowledging what they get, one refusing its last snapshot,
        // one reporting its app unhealthy.
        await using var productpage = await host.ConnectAsync(TestProxy.Sidecar("productpage-v1-sidecar", "productpage", "127.0.0.1:40200",
            new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, "details", "reviews"));
        await using var details = await host.ConnectAsync(TestProxy.Sidecar("details-v1-sidecar", "details", "127.0.0.1:40201",
            new Dictionary<string, string> { ["app"] = "details", ["version"] = "v1" }));
        await using var reviews1 = await host.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40202",
            new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v1" }, "ratings"));
        await using var reviews2 = await host.ConnectAsync(TestProxy.Sidecar("reviews-v2-sidecar", "reviews", "127.0.0.1:40203",
            new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2" }, "ratings"));
        await using var ratings = await host.ConnectAsync(TestProxy.Sidecar("ratings-v1-sidecar", "ratings", "127.0.0.1:40204",
            new Dictionary<string, string> { ["app"] = "ratings", ["version"] = "v1" }));
        var gatewayHello = new ProxyHello
        {
            ProxyId = "ingress-gateway", Mode = ProxyMode.Gateway, Service = "istio-ingressgateway", Namespace = "istio-system",
            AdminUrl = "http://127.0.0.1:19100", Healthy = true,
        };
        gatewayHello.UpstreamServices.Add("productpage");
        await using var gateway = await host.ConnectAsync(gatewayHello);

        // Ratings' health is reported first: it changes the endpoints every caller of ratings is pushed.
        await ratings.ReportHealthAsync(false);
        TestProxy[] acknowledging = [productpage, details, reviews1, ratings, gateway];
        var refused = await SettleAsync(acknowledging, reviews2);
        await reviews2.NackAsync(refused, "route reviews.default: regex does not compile");
        await Eventually.ValueAsync(() => host.Http.GetStringAsync("/api/v1/proxies"),
            body => body.Contains("regex does not compile", StringComparison.Ordinal)
                    && Regex.Matches(body, "\"healthy\":false").Count == 1
                    && Regex.Matches(body, "\"inSync\":true").Count == acknowledging.Length);

        foreach (var (name, path) in new[]
        {
            ("version", "/api/v1/version"),
            ("services", "/api/v1/services"),
            ("proxies", "/api/v1/proxies"),
            ("proxy-reviews-v2", "/api/v1/proxies/reviews-v2-sidecar"),
            ("proxy-missing", "/api/v1/proxies/nothing-sidecar"),
            ("config", "/api/v1/config"),
            ("config-virtualservices", "/api/v1/config?kind=virtualservice"),
            ("config-messages", "/api/v1/config/messages"),
            ("config-one", "/api/v1/config/VirtualService/default/reviews"),
            ("config-missing", "/api/v1/config/VirtualService/default/nothing"),
            ("topology", "/api/v1/topology"),
            ("ca", "/api/v1/ca"),
            ("certificates", "/api/v1/certificates"),
        })
        {
            await answers.RecordAsync(name, HttpMethod.Get, path);
        }

        answers.AssertAllMatch();
    }

    /// <summary>
    /// Acknowledges every snapshot until no proxy receives another; the last snapshot <paramref name="refusing"/> got is
    /// returned unacknowledged, for the test to refuse.
    /// </summary>
    private static async Task<ControlPlaneMessage> SettleAsync(TestProxy[] acknowledging, TestProxy refusing)
    {
        var last = await refusing.NextAsync();
        while (true)
        {
            var quiet = true;
            foreach (var proxy in acknowledging)
            {
                while (!await proxy.StaysQuietAsync(TimeSpan.FromMilliseconds(300)))
                {
                    quiet = false;
                    await proxy.AckAsync(await proxy.NextAsync());
                }
            }
            while (!await refusing.StaysQuietAsync(TimeSpan.FromMilliseconds(300)))
            {
                quiet = false;
                last = await refusing.NextAsync();
            }
            if (quiet)
            {
                return last;
            }
        }
    }

    /// <summary>
    /// Replaces what differs from run to run: the config and data folders' paths, the control plane's own ports and the
    /// values <see cref="VaryingStrings"/> names. Everything else is compared as the bytes the API wrote.
    /// </summary>
    internal static string Normalize(string body, string configFolder, string dataFolder, Uri httpAddress, Uri grpcAddress) =>
        VaryingStrings.Replace(body, m => $"\"{m.Groups[1].Value}\":\"<varies>\"")
            .Replace(configFolder, "<config-folder>", StringComparison.Ordinal)
            .Replace(dataFolder, "<data-folder>", StringComparison.Ordinal)
            .Replace(httpAddress.Authority, "<http-address>", StringComparison.Ordinal)
            .Replace(grpcAddress.Authority, "<grpc-address>", StringComparison.Ordinal);

    private sealed class Answers(ControlPlaneHost host, string configFolder, string dataFolder)
    {
        private readonly List<(string Name, string Actual)> _answers = [];

        public async Task RecordAsync(string name, HttpMethod method, string path, string? yaml = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (yaml is not null)
            {
                request.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
            }
            using var response = await host.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var text = $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}\n" +
                       Normalize(body, configFolder, dataFolder, host.HttpAddress, host.GrpcAddress) + "\n";
            _answers.Add((name, text));
        }

        public void AssertAllMatch()
        {
            var update = Environment.GetEnvironmentVariable("MESHDEV_UPDATE_GOLDEN") == "1";
            var differences = new List<string>();
            foreach (var (name, actual) in _answers)
            {
                var file = Path.Combine(GoldenFolder, name + ".txt");
                if (update)
                {
                    Directory.CreateDirectory(GoldenFolder);
                    File.WriteAllText(file, actual);
                    continue;
                }
                var expected = File.Exists(file) ? File.ReadAllText(file) : "<no golden file>";
                if (!string.Equals(expected, actual, StringComparison.Ordinal))
                {
                    differences.Add($"{name} ({file}):\n--- expected\n{expected}\n--- actual\n{actual}");
                }
            }
            Assert.False(update, $"Golden files written to {GoldenFolder}; unset MESHDEV_UPDATE_GOLDEN and review the diff.");
            Assert.True(differences.Count == 0,
                $"{differences.Count} API answer(s) differ from the committed ones (regenerate with MESHDEV_UPDATE_GOLDEN=1 only for a deliberate change):\n" +
                string.Join("\n\n", differences));
        }
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("meshdev-golden-config-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
