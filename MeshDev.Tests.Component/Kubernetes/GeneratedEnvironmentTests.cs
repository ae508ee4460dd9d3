using System.Text;
using k8s.Models;
using MeshDev.Cli.Kubernetes;
using MeshDev.ControlPlane;
using MeshDev.Proxy.Configuration;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// The environment each generated pod gives MeshDev's programs is one they accept, read the way a kubelet fills it
/// in: the downward API's values for fieldRefs, the deploy-time Secrets for secretKeyRefs.
/// </summary>
public sealed class GeneratedEnvironmentTests
{
    private const string PodIp = "10.244.0.17";

    [Fact]
    public async Task Every_proxy_in_the_meshdev_tree_reads_its_settings_and_listens_where_its_app_and_Service_expect()
    {
        var tree = new KubernetesTree(Path.Combine(Repository.Root(), "deploy", "bookinfo", "meshdev"));
        var objects = KubernetesTree.LoadStrict(await tree.RenderAsync());
        var secrets = DeploySecrets.Create(tree.Directory);

        var proxies = 0;
        foreach (var deployment in objects.OfType<V1Deployment>().Where(d => d.Metadata.Name != "meshdev-controlplane"))
        {
            var pod = deployment.Spec.Template.Spec;
            var proxy = CrossReferences.Containers(pod).Single(c => c.Name == "meshdev-proxy");
            var options = ProxyOptionsReader.Read(Configuration(proxy, $"{deployment.Metadata.Name}-5d8f9-abcde", secrets));
            proxies++;

            Assert.Equal($"{deployment.Metadata.Name}-5d8f9-abcde", options.ProxyId);
            Assert.Equal(15021, options.HealthPort);
            Assert.NotNull(options.Identity);
            Assert.Equal(new Uri("http://meshdev-controlplane:15012"), options.ControlPlaneAddress);
            var probePort = proxy.ReadinessProbe.HttpGet.Port.Value;
            Assert.Equal(options.HealthPort, proxy.Ports.Single(p => p.Name == probePort).ContainerPort);
            if (options.Inbound is { } inbound)
            {
                Assert.Equal($"{PodIp}:15006", inbound.AdvertisedAddress);
                Assert.Equal(inbound.Port, proxy.Ports.Single(p => p.Name == ServiceProtocols.ToConfigValue(inbound.Protocol)).ContainerPort);
                // Each upstream the app resolves is an outbound listener of its own sidecar.
                var app = pod.Containers.Single(c => c.Name == "app");
                var resolved = app.Env.Where(e => e.Name.StartsWith("services__", StringComparison.Ordinal))
                    .ToDictionary(e => e.Name.Split("__")[1], e => new Uri(e.Value).Port);
                Assert.Equal(resolved.OrderBy(r => r.Key), options.Outbound.Select(o => KeyValuePair.Create(o.Service, o.Port)).OrderBy(r => r.Key));
                Assert.Equal(new Uri(app.Env.Single(e => e.Name == "ASPNETCORE_URLS").Value), inbound.AppAddress);
            }
            else
            {
                Assert.Equal(8080, options.Gateway!.Port);
                Assert.Equal("0.0.0.0", options.Gateway.BindAddress);
            }
        }
        Assert.Equal(7, proxies);

        var controlPlane = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "meshdev-controlplane").Spec.Template.Spec.Containers.Single();
        var controlPlaneOptions = ControlPlaneOptions.FromConfiguration(Configuration(controlPlane, "meshdev-controlplane-0", secrets));
        Assert.Equal(("0.0.0.0", 15080, 15012, "/etc/meshdev/config"),
            (controlPlaneOptions.BindAddress, controlPlaneOptions.HttpPort, controlPlaneOptions.GrpcPort, controlPlaneOptions.ConfigDirectory));
    }

    private static IConfiguration Configuration(V1Container container, string podName, IReadOnlyList<V1Secret> secrets)
    {
        var values = new Dictionary<string, string?>();
        foreach (var env in container.Env)
        {
            values[env.Name.Replace("__", ":", StringComparison.Ordinal)] = env.ValueFrom switch
            {
                null => env.Value,
                { FieldRef.FieldPath: "status.podIP" } => PodIp,
                { FieldRef.FieldPath: "metadata.name" } => podName,
                { SecretKeyRef: { } secret } => Encoding.UTF8.GetString(secrets.Single(s => s.Metadata.Name == secret.Name).Data[secret.Key]),
                _ => throw new Xunit.Sdk.XunitException($"{container.Name}: {env.Name} comes from a source a kubelet fills in that this test does not know"),
            };
        }
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
