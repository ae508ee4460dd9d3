using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>A pod the kubelet would not run (or would keep failing) as its spec stands, with the kubelet's reason.</summary>
public sealed class PodSpecRefusedException(PodIdentity pod, V1Container? container, string reason)
    : Exception($"pod {pod.Namespace}/{pod.Name}{(container is null ? "" : $", container {container.Name}")}: {reason}");
