using System.Globalization;
using k8s.Models;
using static MeshDev.Hosting.Kubernetes.PodParts;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// The istio flavour, for a cluster that runs Istio: the same workloads without MeshDev's proxy or control plane,
/// each app listening on its service port, the namespace labelled for Istio's sidecar injection, and the mesh
/// config folder's Istio resources as they are, file for file.
/// </summary>
internal static class IstioFlavorWriter
{
    /// <summary>The folder of the tree that holds the mesh config folder's files.</summary>
    public const string IstioFolder = "istio";

    public static KustomizeTree Write(MeshTopology topology, KubernetesOptions options)
    {
        var ns = options.Namespace ?? topology.ControlPlane.Namespace;
        var tree = new KustomizeTree(ns);
        tree.Add(new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = Meta(ns, new Dictionary<string, string> { ["istio-injection"] = "enabled" }),
        });
        AddWorkloadIdentitiesAndServices(tree, topology);
        foreach (var workload in topology.Workloads)
        {
            tree.Add(Deployment(workload.Name, workload.Labels.ToDictionary(), options.Replicas, Pod(workload, options)));
        }
        foreach (var file in topology.ControlPlane.ConfigFiles)
        {
            tree.AddFile($"{IstioFolder}/{file.Name}", file.Content);
        }
        return tree;
    }

    private static V1PodSpec Pod(MeshWorkloadTopology workload, KubernetesOptions options)
    {
        var port = workload.ServicePort.ToString(CultureInfo.InvariantCulture);
        // Istio's sidecar captures the pod's traffic, so the app listens on its service port on every interface.
        var env = new List<V1EnvVar> { Env("ASPNETCORE_URLS", $"http://0.0.0.0:{port}") };
        env.AddRange(workload.Upstreams.Select(upstream => Env(
            $"services__{upstream.Service}__{upstream.Protocol.ToEndpointScheme()}__0",
            $"http://{upstream.Service}:{upstream.ServicePort.ToString(CultureInfo.InvariantCulture)}")));
        env.AddRange(workload.Environment.Select(pair => Env(pair.Key, pair.Value)));
        return new V1PodSpec
        {
            ServiceAccountName = workload.ServiceAccount,
            AutomountServiceAccountToken = false,
            SecurityContext = PodSecurity(),
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Image = options.Image(workload.Image),
                    ImagePullPolicy = "IfNotPresent",
                    Env = env,
                    Ports = [ContainerPort(workload.ServicePort, PortName(workload.Protocol))],
                    SecurityContext = Restricted(),
                },
            ],
        };
    }
}
