using System.Text;
using k8s;
using k8s.Models;
using MeshDev.Cli.Kubernetes;
using MeshDev.Hosting.Kubernetes;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// The Kubernetes output of the Bookinfo AppHost, committed under deploy/bookinfo: current, renderable by kustomize,
/// readable by KubernetesClient's strict reader, valid against the published schemas, consistent with itself, and
/// free of secrets.
/// </summary>
public sealed class BookinfoKubernetesTests
{
    public static TheoryData<string> Flavors => new() { "meshdev", "istio" };

    private static string Committed(string flavor) => Path.Combine(Repository.Root(), "deploy", "bookinfo", flavor);

    private static string AppHost => Path.Combine(Repository.Root(), "MeshDev.AppHost");

    [Theory]
    [MemberData(nameof(Flavors))]
    public async Task The_committed_tree_is_what_the_AppHosts_publish_step_writes(string flavor)
    {
        var output = Directory.CreateTempSubdirectory($"meshdev-k8s-{flavor}-");
        try
        {
            var emitted = await KubernetesTree.PublishAsync(AppHost, output.FullName, "--mesh", flavor);
            AssertSameFiles(new KubernetesTree(Committed(flavor)), emitted,
                $"cd MeshDev.AppHost && dotnet run -- --operation publish --step publish --output-path ../deploy/bookinfo/{flavor} --mesh {flavor}");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Flavors))]
    public void Reading_the_mesh_back_from_aspire_manifest_json_gives_the_same_tree(string flavor)
    {
        var output = Directory.CreateTempSubdirectory($"meshdev-k8s-manifest-{flavor}-");
        try
        {
            var topology = ManifestTopologyReader.Read(Path.Combine(Repository.Root(), "aspire-manifest.json"));
            var options = new KubernetesOptions { Flavor = flavor == "istio" ? KubernetesFlavor.Istio : KubernetesFlavor.MeshDev };
            KubernetesPublishing.Write(topology, options, output.FullName);
            AssertSameFiles(new KubernetesTree(Committed(flavor)), new KubernetesTree(output.FullName), "(regenerate aspire-manifest.json and deploy/bookinfo)");
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Flavors))]
    public async Task Every_object_renders_reads_strictly_passes_its_schema_and_references_what_exists(string flavor)
    {
        var tree = new KubernetesTree(Committed(flavor));
        await TreeChecks.AssertValidAsync(tree, DeployTimeSecretNames(flavor, tree));
    }

    [Fact]
    public async Task The_meshdev_flavour_runs_each_app_beside_a_native_sidecar_as_Istios_bookinfo_does()
    {
        var objects = KubernetesTree.LoadStrict(await new KubernetesTree(Committed("meshdev")).RenderAsync());
        var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);

        Assert.Equal(["details-v1", "meshdev-controlplane", "meshdev-ingressgateway", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"],
            deployments.Keys.Order(StringComparer.Ordinal));
        var reviews = deployments["reviews-v2"].Spec.Template;
        Assert.Equal(new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2" }, reviews.Metadata.Labels);
        Assert.Equal("bookinfo-reviews", reviews.Spec.ServiceAccountName);
        var proxy = Assert.Single(reviews.Spec.InitContainers);
        Assert.Equal(("meshdev-proxy", "Always", "meshdev/proxy:latest"), (proxy.Name, proxy.RestartPolicy, proxy.Image));
        // The kubelet starts the app only once its native sidecar has started, so that probe leaves the app out.
        Assert.Equal(("/healthz/started", "health"), (proxy.StartupProbe.HttpGet.Path, proxy.StartupProbe.HttpGet.Port.Value));
        Assert.Equal(("/healthz/ready", "health"), (proxy.ReadinessProbe.HttpGet.Path, proxy.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal("status.podIP", Env(proxy, "Mesh__Inbound__AdvertiseAddress").ValueFrom.FieldRef.FieldPath);
        var app = Assert.Single(reviews.Spec.Containers);
        Assert.Equal("http://127.0.0.1:8080", Env(app, "ASPNETCORE_URLS").Value);
        // The app finds ratings at its own sidecar's outbound listener, as the AppHost tells it locally.
        Assert.Equal("http://127.0.0.1:15101", Env(app, "services__ratings__http__0").Value);
        Assert.Equal("15101", Env(proxy, "Mesh__Outbound__ratings__Port").Value);
        Assert.Equal("black", Env(app, "STAR_COLOR").Value);

        var productpage = deployments["productpage-v1"].Spec.Template.Spec;
        Assert.Equal(["http://127.0.0.1:15101", "http://127.0.0.1:15102", "http://127.0.0.1:15103"],
            new[] { "details", "ratings", "reviews" }.Select(s => Env(productpage.Containers[0], $"services__{s}__http__0").Value));

        var services = objects.OfType<V1Service>().ToDictionary(s => s.Metadata.Name);
        var ratingsPort = Assert.Single(services["ratings"].Spec.Ports);
        Assert.Equal((9080, "grpc", "grpc", "grpc"), (ratingsPort.Port, ratingsPort.Name, ratingsPort.AppProtocol, ratingsPort.TargetPort.Value));
        Assert.Equal("LoadBalancer", services["meshdev-ingressgateway"].Spec.Type);

        // The control plane needs no Kubernetes API: no token is mounted, and no RBAC object is written.
        Assert.False(deployments["meshdev-controlplane"].Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.DoesNotContain(objects, o => o is V1Role or V1ClusterRole or V1RoleBinding or V1ClusterRoleBinding);
        var config = Assert.Single(objects.OfType<V1ConfigMap>());
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Root(), "samples", "Bookinfo", "mesh", "bookinfo-gateway.yaml")),
            config.Data["bookinfo-gateway.yaml"]);
    }

    [Fact]
    public async Task The_istio_flavour_drops_MeshDevs_proxy_and_ships_the_mesh_config_byte_for_byte()
    {
        var tree = new KubernetesTree(Committed("istio"));
        var objects = KubernetesTree.LoadStrict(await tree.RenderAsync());

        var ns = Assert.Single(objects.OfType<V1Namespace>());
        Assert.Equal("enabled", ns.Metadata.Labels["istio-injection"]);
        Assert.DoesNotContain(objects.OfType<V1Deployment>(), d => d.Metadata.Name.StartsWith("meshdev-", StringComparison.Ordinal));
        foreach (var deployment in objects.OfType<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.Null(pod.InitContainers);
            var app = Assert.Single(pod.Containers);
            Assert.Equal("http://0.0.0.0:9080", Env(app, "ASPNETCORE_URLS").Value);
            Assert.DoesNotContain(app.Env, e => e.Name.StartsWith("Mesh__", StringComparison.Ordinal));
        }
        var productpage = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "productpage-v1").Spec.Template.Spec.Containers[0];
        Assert.Equal("http://reviews:9080", Env(productpage, "services__reviews__http__0").Value);

        var meshFolder = Path.Combine(Repository.Root(), "samples", "Bookinfo", "mesh");
        foreach (var source in Directory.EnumerateFiles(meshFolder, "*.yaml"))
        {
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(tree.Directory, "istio", Path.GetFileName(source))));
        }
        Assert.Contains(objects.OfType<IstioObject>(), o => o.Kind == "Gateway" && o.Metadata.Name == "bookinfo-gateway");
    }

    [Fact]
    public void No_secret_value_is_in_the_output_and_the_deploy_time_command_makes_every_Secret_the_pods_read()
    {
        var tree = new KubernetesTree(Committed("meshdev"));
        var text = string.Join("\n", tree.Files().Values.Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain("kind: Secret", text, StringComparison.Ordinal);

        var key = "a-bootstrap-key-for-this-test-only";
        var secrets = DeploySecrets.Create(tree.Directory, bootstrapKey: key);
        Assert.Equal(["meshdev-bootstrap", "meshdev-api-token", "meshdev-token-bookinfo-details", "meshdev-token-bookinfo-productpage", "meshdev-token-bookinfo-ratings",
                      "meshdev-token-bookinfo-reviews", "meshdev-token-istio-ingressgateway-service-account"],
            secrets.Select(s => s.Metadata.Name));
        Assert.Equal(key, Encoding.UTF8.GetString(secrets[0].Data["key"]));
        // Each token proves the identity its pod runs as, and verifies with the key the control plane gets.
        var token = Encoding.UTF8.GetString(secrets.Single(s => s.Metadata.Name == "meshdev-token-istio-ingressgateway-service-account").Data["token"]);
        Assert.True(Core.Identity.BootstrapToken.TryVerify(key, token, out var identity, out var error), error);
        Assert.Equal("spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account", identity.ToString());
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);

        // What the command prints is what kubectl apply -f - takes: Secrets, read back strictly.
        var printed = KubernetesTree.LoadStrict(DeploySecrets.ToYaml(secrets));
        Assert.Equal(secrets.Select(s => s.Metadata.Name), printed.Cast<V1Secret>().Select(s => s.Metadata.Name));
    }

    /// <summary>The Secrets <c>meshctl kube secrets</c> makes for the meshdev flavour; the istio flavour needs none.</summary>
    internal static IReadOnlySet<string> DeployTimeSecretNames(string flavor, KubernetesTree tree) =>
        flavor == "istio" ? new HashSet<string>() : DeploySecrets.Create(tree.Directory).Select(s => s.Metadata.Name).ToHashSet();

    internal static void AssertSameFiles(KubernetesTree expected, KubernetesTree actual, string regenerate)
    {
        var want = expected.Files();
        var got = actual.Files();
        Assert.True(want.Keys.SequenceEqual(got.Keys),
            $"{expected.Directory} is out of date: files differ (expected {string.Join(", ", want.Keys)}; got {string.Join(", ", got.Keys)}). Regenerate: {regenerate}");
        foreach (var (file, content) in want)
        {
            Assert.True(content.AsSpan().SequenceEqual(got[file]),
                $"{expected.Directory}/{file} is out of date. Regenerate: {regenerate}\nNow written:\n{Encoding.UTF8.GetString(got[file])}");
        }
    }

    private static V1EnvVar Env(V1Container container, string name) =>
        container.Env.SingleOrDefault(e => e.Name == name) ?? throw new Xunit.Sdk.XunitException($"{container.Name} has no {name}");
}
