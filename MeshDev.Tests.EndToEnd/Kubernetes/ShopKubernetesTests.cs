using k8s.Models;
using MeshDev.Cli.Kubernetes;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// samples/Shop, an AppHost written as a team would write its own (two services, a gateway, its own mesh config and
/// Kubernetes options), publishes a tree that passes the same checks as Bookinfo's.
/// </summary>
public sealed class ShopKubernetesTests
{
    private static string AppHost => Path.Combine(Repository.Root(), "samples", "Shop", "Shop.AppHost");

    [Fact]
    public async Task The_shop_publishes_a_valid_meshdev_tree_with_its_own_options()
    {
        var output = Directory.CreateTempSubdirectory("meshdev-shop-");
        try
        {
            var tree = await KubernetesTree.PublishAsync(AppHost, output.FullName);
            await TreeChecks.AssertValidAsync(tree, DeploySecrets.Create(tree.Directory).Select(s => s.Metadata.Name).ToHashSet());

            var objects = KubernetesTree.LoadStrict(await tree.RenderAsync());
            Assert.Equal("shop", Assert.Single(objects.OfType<V1Namespace>()).Metadata.Name);
            Assert.All(objects.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace), o => Assert.Equal("shop", o.Metadata.NamespaceProperty));
            var deployments = objects.OfType<V1Deployment>().ToDictionary(d => d.Metadata.Name);
            Assert.Equal(["catalog-v1", "meshdev-controlplane", "meshdev-ingressgateway", "storefront"], deployments.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(2, deployments["storefront"].Spec.Replicas);

            var storefront = deployments["storefront"].Spec.Template.Spec;
            Assert.Equal("registry.example.com/shop/shop-storefront:1.0.0", storefront.Containers[0].Image);
            Assert.Equal("registry.example.com/shop/proxy:1.0.0", storefront.InitContainers[0].Image);
            Assert.Equal("http://127.0.0.1:15101", storefront.Containers[0].Env.Single(e => e.Name == "services__catalog__http__0").Value);
            var catalog = deployments["catalog-v1"].Spec.Template.Spec.Containers[0];
            Assert.Equal("winter", catalog.Env.Single(e => e.Name == "CATALOG_EDITION").Value);

            var services = objects.OfType<V1Service>().ToDictionary(s => s.Metadata.Name);
            Assert.Equal(8080, Assert.Single(services["catalog"].Spec.Ports).Port);
            Assert.Equal("NodePort", services["meshdev-ingressgateway"].Spec.Type);
            Assert.Equal(["catalog.yaml", "shop-gateway.yaml"], Assert.Single(objects.OfType<V1ConfigMap>()).Data.Keys.Order(StringComparer.Ordinal));

            var tokens = DeploySecrets.Create(tree.Directory).Select(s => s.Metadata.Name);
            Assert.Contains("meshdev-token-storefront", tokens);
            Assert.Contains("meshdev-token-catalog", tokens);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Settings_given_at_publish_time_win_over_the_AppHosts_code()
    {
        var output = Directory.CreateTempSubdirectory("meshdev-shop-istio-");
        try
        {
            var tree = await KubernetesTree.PublishAsync(AppHost, output.FullName,
                "--mesh", "istio", "--Mesh:Kubernetes:ImageTag", "2.0.0", "--Mesh:Kubernetes:Namespace", "shop-staging");
            await TreeChecks.AssertValidAsync(tree, new HashSet<string>());

            var objects = KubernetesTree.LoadStrict(await tree.RenderAsync());
            var ns = Assert.Single(objects.OfType<V1Namespace>());
            Assert.Equal(("shop-staging", "enabled"), (ns.Metadata.Name, ns.Metadata.Labels["istio-injection"]));
            var storefront = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "storefront").Spec.Template.Spec.Containers[0];
            Assert.Equal("registry.example.com/shop/shop-storefront:2.0.0", storefront.Image);
            Assert.Equal("http://catalog:8080", storefront.Env.Single(e => e.Name == "services__catalog__http__0").Value);
            Assert.Equal(["istio/catalog.yaml", "istio/shop-gateway.yaml"], tree.Files().Keys.Where(f => f.StartsWith("istio/", StringComparison.Ordinal)));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_flavour_MeshDev_does_not_know_fails_the_publish_with_a_clear_message()
    {
        var output = Directory.CreateTempSubdirectory("meshdev-shop-bad-");
        try
        {
            // Aspire reports a failed step in its log (its process exits 0 under dotnet run), and nothing is written.
            var (_, log) = await Repository.RunAsync("dotnet",
                ["run", "--project", AppHost, "-c", Repository.Configuration, "--no-build", "--",
                 "--operation", "publish", "--step", "publish", "--output-path", output.FullName, "--mesh", "linkerd"]);
            Assert.Contains("The mesh flavour 'linkerd' is unknown; expected 'meshdev' or 'istio'", log);
            Assert.Empty(Directory.EnumerateFileSystemEntries(output.FullName));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
