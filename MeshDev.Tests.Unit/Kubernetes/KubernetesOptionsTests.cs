using Aspire.Hosting;
using MeshDev.Hosting.Kubernetes;

namespace MeshDev.Tests.Kubernetes;

/// <summary>WithKubernetes keeps what it is given and refuses what no cluster could take, naming it.</summary>
public sealed class KubernetesOptionsTests
{
    [Fact]
    public void WithKubernetes_sets_the_control_planes_options()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh")
            .WithKubernetes(k => k with { Flavor = KubernetesFlavor.Istio, Namespace = "shop", ImageTag = "1.2.3" });

        Assert.Equal(new KubernetesOptions { Flavor = KubernetesFlavor.Istio, Namespace = "shop", ImageTag = "1.2.3" }, mesh.Resource.KubernetesOptions);
    }

    [Theory]
    [InlineData(0, "LoadBalancer", "Mesh:Kubernetes:Replicas is 0; expected at least 1.")]
    [InlineData(1, "Ingress", "Mesh:Kubernetes:GatewayServiceType is 'Ingress'; expected LoadBalancer, NodePort or ClusterIP.")]
    public void WithKubernetes_refuses_options_no_cluster_takes(int replicas, string gatewayServiceType, string message)
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");

        var error = Assert.Throws<DistributedApplicationException>(() =>
            mesh.WithKubernetes(k => k with { Replicas = replicas, GatewayServiceType = gatewayServiceType }));
        Assert.Equal(message, error.Message);
        Assert.Equal(new KubernetesOptions(), mesh.Resource.KubernetesOptions);
    }
}
