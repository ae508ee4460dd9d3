using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s.Models;
using MeshDev.Cli.Kubernetes;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.EndToEnd;
using Xunit.Abstractions;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// The committed Kubernetes output for Bookinfo (meshdev flavour), run as a cluster would run it: rendered by
/// <c>kubectl kustomize</c>, the deploy-time Secrets made by the same code as <c>meshctl kube secrets</c>, every
/// Deployment's pods run by the kubelet stand-in from MeshDev's own images. Everything the pods do comes from the
/// generated spec; the test only calls in from outside, as a user would: through the gateway's Service, the control
/// plane's Service with Istio's files, and a plaintext client aimed at a pod's inbound port.
/// </summary>
[Trait("Category", "Containers")]
[Collection(ContainerTestsCollection.Name)]
public sealed class GeneratedBookinfoPodsTests(ITestOutputHelper output)
{
    private const string Tree = "deploy/bookinfo/meshdev";

    [Fact(Timeout = 1_200_000)]
    public async Task Bookinfo_runs_from_the_generated_pods_routes_with_istio_yaml_and_refuses_plaintext_under_strict()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(18));
        var started = DateTime.UtcNow;
        var objects = new ClusterObjects("default");
        objects.Add(await KustomizeOutput.RenderAsync(KustomizeOutput.InRepository(Tree), deadline.Token));
        objects.Add(DeploySecrets.Create(KustomizeOutput.InRepository(Tree)));
        var images = objects.OfKind<V1Deployment>()
            .SelectMany(d => (d.Spec.Template.Spec.InitContainers ?? []).Concat(d.Spec.Template.Spec.Containers))
            .Select(c => c.Image).Distinct().ToList();
        output.WriteLine($"images: {string.Join(", ", images)}");
        await DockerEngine.RequireAsync([.. images, PodClusterTests.PauseImage], deadline.Token);

        await using var cluster = await PodCluster.CreateAsync(objects, PodClusterTests.PauseImage, "10.213.10.0/24", deadline.Token);
        var pods = await cluster.RunDeploymentsAsync(deadline.Token);
        output.WriteLine($"{pods.Count} pods started (startup probes passed) after {Elapsed(started)}");

        // The generated readiness probes pass on every pod, the native sidecars' included.
        await Task.WhenAll(pods.Select(p => p.AwaitReadyAsync(TimeSpan.FromMinutes(3), deadline.Token)));
        output.WriteLine($"all pods Ready after {Elapsed(started)}: {string.Join(", ", pods.Select(p => $"{p.Identity.Name}={p.Ip}"))}");

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(1) }) { Timeout = TimeSpan.FromSeconds(30) };
        var gateway = Assert.Single(cluster.ServiceEndpoints("meshdev-ingressgateway", 80));
        var productPage = new Uri(gateway, "/productpage");

        // Round robin over reviews' three Deployments: every version serves pages, each with its own stars. Pods are
        // Ready before every sidecar has registered, so the first pages may still miss a version (or an upstream).
        var seen = await Eventually.ValueAsync(async () =>
        {
            var versions = new HashSet<string>();
            try
            {
                for (var i = 0; i < 12; i++)
                {
                    versions.Add((await PageAsync(http, productPage, deadline.Token)).ServedBy);
                }
                return new PagesSeen(versions, null);
            }
            catch (Exception e) when (e is Xunit.Sdk.XunitException or HttpRequestException)
            {
                return new PagesSeen(versions, e.Message);
            }
        }, pages => pages.Error is null && pages.Versions.SetEquals(["reviews-v1", "reviews-v2", "reviews-v3"]), TimeSpan.FromMinutes(2));
        output.WriteLine($"pages from {string.Join(", ", seen.Versions.Order())} after {Elapsed(started)}");

        // Istio's own routing files, applied to the control plane through its Service: every page from reviews v3.
        var controlPlane = ControlPlaneApi(cluster);
        await ApplyAsync(http, controlPlane, "networking", "destination-rule-all.yaml", deadline.Token);
        await ApplyAsync(http, controlPlane, "networking", "virtual-service-reviews-v3.yaml", deadline.Token);
        await Eventually.ValueAsync(() => PageAsync(http, productPage, deadline.Token), page => page.ServedBy == "reviews-v3", TimeSpan.FromSeconds(60));
        for (var i = 0; i < 20; i++)
        {
            var page = await PageAsync(http, productPage, deadline.Token);
            Assert.Equal("reviews-v3", page.ServedBy);
            Assert.Equal(["red"], page.StarColors);
        }
        output.WriteLine($"20 of 20 pages from reviews-v3 after {Elapsed(started)}");

        // A plaintext client (outside the mesh) at a pod's inbound port: let in under PERMISSIVE, refused under STRICT.
        var details = Assert.Single(cluster.ServiceEndpoints("details", 9080));
        using (var permissive = await http.GetAsync(new Uri(details, "/details/0"), deadline.Token))
        {
            Assert.Equal(HttpStatusCode.OK, permissive.StatusCode);
        }
        await ApplyAsync(http, controlPlane, "security", "peer-authentication-strict.yaml", deadline.Token);
        var refusal = await Eventually.ValueAsync(async () =>
        {
            try
            {
                using var plain = await http.GetAsync(new Uri(details, "/details/0"), deadline.Token);
                return $"answered {(int)plain.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                return $"refused: {e.Message}";
            }
        }, result => result.StartsWith("refused", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        output.WriteLine($"plaintext to details at {details}: {refusal}");

        // ...while the mesh itself, mTLS between the generated sidecars, still serves the page.
        var underStrict = await PageAsync(http, productPage, deadline.Token);
        Assert.Equal("reviews-v3", underStrict.ServedBy);
        await Task.WhenAll(pods.Select(p => p.AwaitReadyAsync(TimeSpan.FromSeconds(30), deadline.Token)));
        output.WriteLine($"done after {Elapsed(started)}");
    }

    private sealed record PagesSeen(IReadOnlySet<string> Versions, string? Error)
    {
        public override string ToString() => $"pages from [{string.Join(", ", Versions.Order())}]{(Error is null ? "" : $", then: {Error}")}";
    }

    private static string Elapsed(DateTime since) => $"{(DateTime.UtcNow - since).TotalSeconds:0} s";

    private static async Task<BookinfoPage> PageAsync(HttpClient http, Uri productPage, CancellationToken cancellation)
    {
        using var response = await http.GetAsync(productPage, cancellation);
        var html = await response.Content.ReadAsStringAsync(cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {productPage} through the gateway answered {(int)response.StatusCode}: {html}");
        Assert.DoesNotContain("Error fetching", html, StringComparison.Ordinal);
        var page = BookinfoPage.Parse(html);
        var expectedStars = page.ServedBy switch { "reviews-v2" => "black", "reviews-v3" => "red", _ => null };
        Assert.Equal(expectedStars is null ? [] : [expectedStars], page.StarColors);
        return page;
    }

    /// <summary>
    /// How an in-cluster client reaches the control plane's HTTP API: the Service's port 15080 (mapped to its pod as
    /// kube-proxy would), the Service name as Host, and the API token when the spec gives the control plane one from
    /// a Secret (read from the spec, with the Secret's deploy-time value).
    /// </summary>
    private static (Uri Endpoint, string? Token) ControlPlaneApi(PodCluster cluster)
    {
        var endpoint = Assert.Single(cluster.ServiceEndpoints("meshdev-controlplane", 15080));
        var container = cluster.Objects.OfKind<V1Deployment>().Single(d => d.Metadata.Name == "meshdev-controlplane")
            .Spec.Template.Spec.Containers.Single();
        var tokenRef = container.Env?.SingleOrDefault(e => e.Name == "Mesh__ControlPlane__ApiToken")?.ValueFrom?.SecretKeyRef;
        var token = tokenRef is null ? null
            : Encoding.UTF8.GetString(ClusterObjects.SecretData(cluster.Objects.Secret("default", tokenRef.Name)!)[tokenRef.Key]);
        return (endpoint, token);
    }

    private async Task ApplyAsync(HttpClient http, (Uri Endpoint, string? Token) controlPlane, string folder, string file, CancellationToken cancellation)
    {
        var yaml = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "samples", "Bookinfo", folder, file), cancellation);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(controlPlane.Endpoint, $"/api/v1/config?source={file}"))
        {
            Content = new StringContent(yaml, Encoding.UTF8, "application/yaml"),
        };
        request.Headers.Host = "meshdev-controlplane";
        if (controlPlane.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await http.SendAsync(request, cancellation);
        var body = await response.Content.ReadAsStringAsync(cancellation);
        Assert.True(response.IsSuccessStatusCode, $"applying {file} to the control plane answered {(int)response.StatusCode}: {body}");
        output.WriteLine($"applied {file}: config version {JsonDocument.Parse(body).RootElement.GetProperty("configVersion").GetInt64()}");
    }
}
