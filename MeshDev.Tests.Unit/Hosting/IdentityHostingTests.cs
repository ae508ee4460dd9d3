using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;
using MeshDev.Core.Identity;
using MeshDev.Hosting;

namespace MeshDev.Tests.Hosting;

/// <summary>The bootstrap key, the proxies' identities and their tokens, as the hosting integration sets them.</summary>
public sealed class IdentityHostingTests
{
    private const string Key = "bootstrap-key-of-this-test-0123456789";

    private static string Env(string key) => MeshEnvironment.ToEnvironmentVariable(key);

    private static IDistributedApplicationBuilder Builder()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["Parameters:mesh-bootstrap-key"] = Key;
        return builder;
    }

    private static IResourceBuilder<ExecutableResource> AddApp(IDistributedApplicationBuilder builder, string name) =>
        builder.AddExecutable(name, "true", ".").WithHttpEndpoint(name: "http");

    private static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource, DistributedApplicationOperation operation)
    {
        var env = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(operation), resource, env);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return env;
    }

    private static SpiffeId ProvenBy(Dictionary<string, object> env)
    {
        Assert.True(BootstrapToken.TryVerify(Key, (string)env[Env(MeshEnvironment.Proxy.IdentityToken)], out var identity, out var error), error);
        return identity;
    }

    [Fact]
    public async Task The_control_plane_gets_a_generated_secret_bootstrap_key_and_its_own_data_folder()
    {
        var builder = Builder();
        var mesh = builder.AddMeshControlPlane("mesh");

        var parameter = Assert.Single(builder.Resources.OfType<ParameterResource>(), p => p.Name.EndsWith("-bootstrap-key", StringComparison.Ordinal));
        Assert.Same(parameter, mesh.Resource.BootstrapKey);
        Assert.Equal("mesh-bootstrap-key", parameter.Name);
        Assert.True(parameter.Secret);
        Assert.IsType<GenerateParameterDefault>(parameter.Default);
        var parent = Assert.Single(parameter.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent");
        Assert.Same(mesh.Resource, parent.Resource);

        var env = await EnvironmentAsync(mesh.Resource, DistributedApplicationOperation.Run);
        Assert.Same(parameter, env[Env(MeshEnvironment.ControlPlane.BootstrapKey)]);
        Assert.Equal(Path.Combine(".meshdev", "mesh"), env[Env(MeshEnvironment.ControlPlane.DataDirectory)]);
        Assert.Equal("cluster.local", env[Env(MeshEnvironment.ControlPlane.TrustDomain)]);

        mesh.WithMeshDataDirectory("state/mesh");
        env = await EnvironmentAsync(mesh.Resource, DistributedApplicationOperation.Run);
        Assert.Equal(Path.Combine("state", "mesh"), env[Env(MeshEnvironment.ControlPlane.DataDirectory)]);
    }

    [Fact]
    public async Task A_run_gives_the_control_plane_a_generated_secret_api_token_and_publishing_leaves_it_to_the_deployment()
    {
        var builder = Builder();
        var mesh = builder.AddMeshControlPlane("mesh");

        var parameter = Assert.Single(builder.Resources.OfType<ParameterResource>(), p => p.Name == "mesh-api-token");
        Assert.Same(parameter, mesh.Resource.ApiToken);
        Assert.True(parameter.Secret);
        Assert.Equal(32, Assert.IsType<GenerateParameterDefault>(parameter.Default).MinLength);
        Assert.Same(mesh.Resource, Assert.Single(parameter.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent").Resource);
        var env = await EnvironmentAsync(mesh.Resource, DistributedApplicationOperation.Run);
        Assert.Same(parameter, env[Env(MeshEnvironment.ControlPlane.ApiToken)]);

        var output = Directory.CreateTempSubdirectory("meshdev-publish-");
        try
        {
            var publishing = DistributedApplication.CreateBuilder(["--publisher", "manifest", "--output-path", Path.Combine(output.FullName, "manifest.json")]);
            publishing.Configuration["Parameters:mesh-bootstrap-key"] = Key;
            var published = publishing.AddMeshControlPlane("mesh");

            Assert.Null(published.Resource.ApiToken);
            Assert.DoesNotContain(publishing.Resources.OfType<ParameterResource>(), p => p.Name == "mesh-api-token");
            Assert.False((await EnvironmentAsync(published.Resource, DistributedApplicationOperation.Publish)).ContainsKey(Env(MeshEnvironment.ControlPlane.ApiToken)));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Each_proxy_gets_a_token_for_its_own_identity_only()
    {
        var builder = Builder();
        var mesh = builder.AddMeshControlPlane("mesh");
        AddApp(builder, "reviews-v1").WithMeshSidecar(mesh, service: "reviews", serviceAccount: "bookinfo-reviews");
        AddApp(builder, "orders-v1").WithMeshSidecar(mesh, service: "orders");
        builder.AddMeshGateway("gateway");
        var sidecars = builder.Resources.OfType<MeshSidecarResource>().ToDictionary(s => s.Service);
        var gateway = builder.Resources.OfType<MeshGatewayResource>().Single();

        var reviews = await EnvironmentAsync(sidecars["reviews"], DistributedApplicationOperation.Run);
        Assert.Equal(SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bookinfo-reviews"), ProvenBy(reviews));
        Assert.Equal("bookinfo-reviews", reviews[Env(MeshEnvironment.Proxy.ServiceAccount)]);
        Assert.Equal("default", reviews[Env(MeshEnvironment.Proxy.Namespace)]);

        // Without a service account, the mesh service's name.
        var orders = await EnvironmentAsync(sidecars["orders"], DistributedApplicationOperation.Run);
        Assert.Equal(SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/orders"), ProvenBy(orders));
        Assert.Equal("orders", orders[Env(MeshEnvironment.Proxy.ServiceAccount)]);

        // The ingress gateway runs as Istio's does.
        var ingress = await EnvironmentAsync(gateway, DistributedApplicationOperation.Run);
        Assert.Equal(SpiffeId.Parse("spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"), ProvenBy(ingress));
        Assert.Equal("istio-system", ingress[Env(MeshEnvironment.Proxy.Namespace)]);
        Assert.Equal("istio-ingressgateway-service-account", ingress[Env(MeshEnvironment.Proxy.ServiceAccount)]);

        // Neither the key nor any token reaches a proxy as anything but its own token.
        foreach (var env in new[] { reviews, orders, ingress })
        {
            Assert.DoesNotContain(env.Values, v => v is ParameterResource);
            Assert.DoesNotContain(env.Values, v => v is string text && text.Contains(Key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Publishing_writes_no_token()
    {
        var builder = Builder();
        var mesh = builder.AddMeshControlPlane("mesh");
        AddApp(builder, "reviews-v1").WithMeshSidecar(mesh, service: "reviews", serviceAccount: "bookinfo-reviews");

        var env = await EnvironmentAsync(builder.Resources.OfType<MeshSidecarResource>().Single(), DistributedApplicationOperation.Publish);

        Assert.False(env.ContainsKey(Env(MeshEnvironment.Proxy.IdentityToken)));
        Assert.Equal("bookinfo-reviews", env[Env(MeshEnvironment.Proxy.ServiceAccount)]);
    }

    [Theory]
    [InlineData("Bookinfo_Reviews")]
    [InlineData("sa/reviews")]
    [InlineData("-reviews")]
    public void A_service_account_that_is_not_a_kubernetes_name_is_refused_naming_it(string serviceAccount)
    {
        var builder = Builder();
        var mesh = builder.AddMeshControlPlane("mesh");

        var error = Assert.Throws<DistributedApplicationException>(() => AddApp(builder, "reviews-v1").WithMeshSidecar(mesh, serviceAccount: serviceAccount));

        Assert.Contains($"'{serviceAccount}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("reviews-v1-sidecar", error.Message, StringComparison.Ordinal);
    }
}
