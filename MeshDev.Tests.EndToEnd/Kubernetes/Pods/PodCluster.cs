using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Networks;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// A stand-in for a one-node cluster on one Docker engine, for the objects a generator writes: it plays the kubelet
/// (runs each Deployment's pods, see <see cref="RunningPod"/>) and kube-proxy with cluster DNS, which it fakes with a
/// user-defined Docker network whose embedded DNS resolves each Service's names (<c>svc</c>, <c>svc.ns</c>,
/// <c>svc.ns.svc</c>, <c>svc.ns.svc.cluster.local</c>) to the addresses of the pods it selects. What it does not
/// fake: Service ports are not remapped (a name resolves to pod IPs, so a caller inside reaches the Service only on
/// a port equal to its targetPort; from the test host, <see cref="ServiceEndpoints"/> maps port to targetPort as
/// kube-proxy would), the API server is absent (no watch, RBAC or service-account token), a failed container is
/// not restarted, and a pod's DNS names exist from its start, not from its readiness.
/// </summary>
public sealed class PodCluster : IAsyncDisposable
{
    /// <summary>Label on every container and network the stand-in creates, so a run can clear an aborted one's.</summary>
    public const string RunLabel = "meshdev.pods.run";

    private readonly INetwork _network;
    private readonly List<RunningPod> _pods = [];

    private PodCluster(ClusterObjects objects, string pauseImage, string runName, INetwork network, DockerClient docker)
    {
        Objects = objects;
        PauseImage = pauseImage;
        RunName = runName;
        _network = network;
        Docker = docker;
    }

    public ClusterObjects Objects { get; }

    /// <summary>Any local image with <c>sleep</c>; it only holds the pod's network namespace.</summary>
    public string PauseImage { get; }

    public string RunName { get; }

    public string NetworkName => _network.Name;

    public DockerClient Docker { get; }

    public IReadOnlyList<RunningPod> Pods => _pods;

    /// <summary>
    /// Creates the cluster network on <paramref name="subnet"/> (a private range this engine does not use yet),
    /// after removing what an aborted earlier run of the stand-in left behind (and nothing else).
    /// </summary>
    public static async Task<PodCluster> CreateAsync(ClusterObjects objects, string pauseImage, string subnet, CancellationToken cancellation)
    {
        var docker = DockerEngine.Client();
        await RemoveLeftoversAsync(docker, cancellation);
        var runName = $"meshdev-pods-{Environment.ProcessId}";
        var network = new NetworkBuilder()
            .WithName(runName)
            .WithLabel(RunLabel, runName)
            .WithCreateParameterModifier(p => p.IPAM = new IPAM { Config = [new IPAMConfig { Subnet = subnet }] })
            .Build();
        await network.CreateAsync(cancellation);
        return new PodCluster(objects, pauseImage, runName, network, docker);
    }

    /// <summary>
    /// Runs every Deployment's pods (spec.replicas each, all at once as the scheduler would) and returns when each
    /// pod's containers have started and passed their startup probes.
    /// </summary>
    public async Task<IReadOnlyList<RunningPod>> RunDeploymentsAsync(CancellationToken cancellation)
    {
        var starts = new List<Task<RunningPod>>();
        foreach (var deployment in Objects.OfKind<V1Deployment>())
        {
            for (var replica = 0; replica < (deployment.Spec.Replicas ?? 1); replica++)
            {
                starts.Add(RunPodAsync(deployment, replica, cancellation));
            }
        }
        try
        {
            await Task.WhenAll(starts);
        }
        finally
        {
            _pods.AddRange(starts.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result));
        }
        return _pods;
    }

    /// <summary>The pods a Service selects, in the Service's namespace.</summary>
    public IReadOnlyList<RunningPod> PodsOf(V1Service service) =>
        _pods.Where(p => p.Identity.Namespace == service.Metadata.NamespaceProperty && Selects(service, p.Identity.Labels)).ToList();

    /// <summary>
    /// Where kube-proxy would send a connection to the Service's <paramref name="port"/>: each selected pod's IP with
    /// the port's targetPort (a number, or a container port's name).
    /// </summary>
    public IReadOnlyList<Uri> ServiceEndpoints(string name, int port, string scheme = "http")
    {
        var service = Objects.OfKind<V1Service>().SingleOrDefault(s => s.Metadata.Name == name)
            ?? throw new InvalidOperationException($"no Service named {name} in the rendered objects");
        var servicePort = service.Spec.Ports.SingleOrDefault(p => p.Port == port)
            ?? throw new InvalidOperationException($"Service {name} has no port {port} (it has {string.Join(", ", service.Spec.Ports.Select(p => p.Port))})");
        var pods = PodsOf(service);
        if (pods.Count == 0)
        {
            throw new InvalidOperationException($"Service {name} selects no running pod (selector {string.Join(",", service.Spec.Selector.Select(e => $"{e.Key}={e.Value}"))})");
        }
        return pods.Select(pod => new Uri($"{scheme}://{pod.Ip}:{TargetPort(servicePort, pod, name)}")).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in _pods)
        {
            await pod.DisposeAsync();
        }
        await _network.DeleteAsync();
        Docker.Dispose();
    }

    private async Task<RunningPod> RunPodAsync(V1Deployment deployment, int replica, CancellationToken cancellation)
    {
        var template = deployment.Spec.Template;
        var ns = deployment.Metadata.NamespaceProperty;
        var labels = (IReadOnlyDictionary<string, string>?)template.Metadata?.Labels?.ToDictionary() ?? new Dictionary<string, string>();
        var identity = new PodIdentity(
            Name: $"{deployment.Metadata.Name}-{replica}",
            Namespace: ns,
            Uid: Guid.NewGuid().ToString(),
            ServiceAccountName: template.Spec.ServiceAccountName ?? "default",
            Labels: labels,
            Annotations: template.Metadata?.Annotations?.ToDictionary() ?? new Dictionary<string, string>(),
            Ip: "",
            HostIp: "");
        if (deployment.Spec.Selector?.MatchLabels is { } matchLabels && !matchLabels.All(e => labels.TryGetValue(e.Key, out var v) && v == e.Value))
        {
            throw new PodSpecRefusedException(identity, null, $"Deployment {deployment.Metadata.Name}: spec.selector does not match the template's labels");
        }
        if (template.Spec.ServiceAccountName is { } account && !Objects.OfKind<V1ServiceAccount>().Any(a => a.Metadata.Name == account && a.Metadata.NamespaceProperty == ns))
        {
            throw new PodSpecRefusedException(identity, null, $"serviceaccount \"{account}\" not found (the ReplicaSet could not create the pod)");
        }
        var aliases = Objects.OfKind<V1Service>()
            .Where(s => s.Metadata.NamespaceProperty == ns && Selects(s, labels))
            .SelectMany(s => new[] { s.Metadata.Name, $"{s.Metadata.Name}.{ns}", $"{s.Metadata.Name}.{ns}.svc", $"{s.Metadata.Name}.{ns}.svc.cluster.local" })
            .ToList();
        return await RunningPod.StartAsync(this, identity, template.Spec, aliases, cancellation);
    }

    private static bool Selects(V1Service service, IReadOnlyDictionary<string, string> labels) =>
        service.Spec.Selector is { Count: > 0 } selector && selector.All(e => labels.TryGetValue(e.Key, out var v) && v == e.Value);

    private static int TargetPort(V1ServicePort servicePort, RunningPod pod, string service)
    {
        var target = servicePort.TargetPort?.Value ?? servicePort.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (int.TryParse(target, out var number))
        {
            return number;
        }
        return pod.ContainerSpecs.SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name == target)?.ContainerPort
            ?? throw new InvalidOperationException($"Service {service} port {servicePort.Port}: targetPort \"{target}\" names no container port of pod {pod.Identity.Name}");
    }

    private static async Task RemoveLeftoversAsync(DockerClient docker, CancellationToken cancellation)
    {
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [RunLabel] = true } };
        foreach (var container in await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, cancellation))
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellation);
        }
        foreach (var network in await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, cancellation))
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, cancellation);
        }
    }
}
