using k8s.Models;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>The pieces every generated pod spec shares.</summary>
internal static class PodParts
{
    public static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    public static V1EnvVar FieldEnv(string name, string fieldPath) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = fieldPath } } };

    public static V1EnvVar SecretEnv(string name, string secret, string key) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = key } } };

    public static V1ContainerPort ContainerPort(int port, string name) => new() { ContainerPort = port, Name = name };

    /// <summary>A Service port that targets a container port by its name.</summary>
    public static V1ServicePort ServicePort(int port, string name, string appProtocol, string targetPortName) =>
        new() { Port = port, Name = name, AppProtocol = appProtocol, TargetPort = targetPortName };

    public static string MeshEnv(string key) => Core.MeshEnvironment.ToEnvironmentVariable(key);

    /// <summary>Every image runs as a non-root user; nothing in MeshDev needs more privileges than it starts with.</summary>
    public static V1SecurityContext Restricted() => new()
    {
        RunAsNonRoot = true,
        AllowPrivilegeEscalation = false,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    public static V1PodSecurityContext PodSecurity() => new()
    {
        RunAsNonRoot = true,
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    public static V1ObjectMeta Meta(string name, IDictionary<string, string>? labels = null) =>
        new() { Name = name, Labels = labels is null ? null : new Dictionary<string, string>(labels) };

    /// <summary>Istio's port naming: the protocol is the port's name (and its appProtocol).</summary>
    public static string PortName(MeshProtocol protocol) => protocol.ToConfigValue();

    public static string AppProtocol(MeshProtocol protocol) => protocol switch
    {
        MeshProtocol.Http2 => "kubernetes.io/h2c",
        _ => protocol.ToConfigValue(),
    };

    public static V1ServiceAccount ServiceAccount(string name, IDictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta(name, labels),
        // No MeshDev workload calls the Kubernetes API.
        AutomountServiceAccountToken = false,
    };

    /// <summary>
    /// A ServiceAccount per identity and a Service per mesh service, as Istio's bookinfo.yaml has them. The Service's
    /// port targets the pod's port named for the protocol: the sidecar's inbound listener, or the app itself where
    /// Istio's sidecar does the capturing.
    /// </summary>
    public static void AddWorkloadIdentitiesAndServices(KustomizeTree tree, MeshTopology topology)
    {
        foreach (var serviceAccount in topology.Workloads.Select(w => w.ServiceAccount).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            tree.Add(ServiceAccount(serviceAccount));
        }
        foreach (var service in topology.Services)
        {
            var instance = service.First();
            var portName = PortName(instance.Protocol);
            tree.Add(new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = Meta(service.Key, new Dictionary<string, string> { ["app"] = service.Key, ["service"] = service.Key }),
                Spec = new V1ServiceSpec
                {
                    Selector = new Dictionary<string, string> { ["app"] = service.Key },
                    Ports = [ServicePort(instance.ServicePort, portName, AppProtocol(instance.Protocol), portName)],
                },
            });
        }
    }

    public static V1Deployment Deployment(string name, IDictionary<string, string> labels, int replicas, V1PodSpec pod) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(name, labels),
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
            Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) }, Spec = pod },
        },
    };
}
