using System.Globalization;
using System.Text;
using k8s.Models;
using MeshDev.Core;
using static MeshDev.Hosting.Kubernetes.PodParts;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// The meshdev flavour: every app with MeshDev's proxy as a native sidecar, the control plane and the ingress
/// gateway. Secrets are referenced by name only; <c>meshctl kube secrets</c> creates them at deploy time.
/// </summary>
internal static class MeshDevFlavorWriter
{
    public const string ControlPlaneName = "meshdev-controlplane";
    public const string GatewayName = "meshdev-ingressgateway";
    public const string ConfigMapName = "meshdev-mesh-config";
    public const string BootstrapSecret = "meshdev-bootstrap";
    public const string BootstrapSecretKey = "key";
    public const string ApiTokenSecret = "meshdev-api-token";
    public const string ApiTokenSecretKey = "token";
    /// <summary>The control plane's API credential and the host names it answers to (Mesh:ControlPlane:ApiToken, :AllowedHosts).</summary>
    public const string ApiTokenVariable = "Mesh__ControlPlane__ApiToken";
    public const string AllowedHostsVariable = "Mesh__ControlPlane__AllowedHosts";
    public const string TokenSecretPrefix = "meshdev-token-";
    public const string TokenSecretKey = "token";
    public const string ProxyContainer = "meshdev-proxy";
    private const string ConfigMountPath = "/etc/meshdev/config";
    private const string DataMountPath = "/var/lib/meshdev";
    private const string CaMountPath = "/etc/meshdev/ca";

    public static string TokenSecret(string serviceAccount) => TokenSecretPrefix + serviceAccount;

    public static KustomizeTree Write(MeshTopology topology, KubernetesOptions options)
    {
        var ns = options.Namespace ?? topology.ControlPlane.Namespace;
        var tree = new KustomizeTree(ns);
        if (ns != MeshEnvironment.DefaultNamespace)
        {
            tree.Add(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = Meta(ns) });
        }

        WriteControlPlane(tree, topology, ns, options);
        AddWorkloadIdentitiesAndServices(tree, topology);
        foreach (var workload in topology.Workloads)
        {
            tree.Add(Deployment(workload.Name, workload.Labels.ToDictionary(), options.Replicas, WorkloadPod(workload, topology, options)));
        }
        if (topology.Gateway is { } gateway)
        {
            WriteGateway(tree, gateway, topology, options);
        }
        return tree;
    }

    private static void WriteControlPlane(KustomizeTree tree, MeshTopology topology, string ns, KubernetesOptions options)
    {
        var controlPlane = topology.ControlPlane;
        var labels = new Dictionary<string, string> { ["app"] = ControlPlaneName };
        tree.Add(ServiceAccount(ControlPlaneName, labels));
        tree.Add(new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Meta(ConfigMapName, labels),
            Data = controlPlane.ConfigFiles.ToDictionary(f => f.Name, f => Encoding.UTF8.GetString(f.Content)),
        });

        var env = new List<V1EnvVar>
        {
            Env(MeshEnv(MeshEnvironment.ControlPlane.BindAddress), "0.0.0.0"),
            Env(MeshEnv(MeshEnvironment.ControlPlane.HttpPort), Number(MeshDevPorts.ControlPlaneHttp)),
            Env(MeshEnv(MeshEnvironment.ControlPlane.GrpcPort), Number(MeshDevPorts.ControlPlaneGrpc)),
        };
        foreach (var (service, index) in topology.Services.Select((service, index) => (service.Key, index)))
        {
            env.Add(Env(MeshEnv($"{MeshEnvironment.ControlPlane.Services}:{index}"), service));
        }
        env.Add(Env(MeshEnv(MeshEnvironment.ControlPlane.ConfigDirectory), ConfigMountPath));
        env.Add(Env(MeshEnv(MeshEnvironment.ControlPlane.DataDirectory), DataMountPath));
        env.Add(Env(MeshEnv(MeshEnvironment.ControlPlane.TrustDomain), controlPlane.TrustDomain));
        env.Add(SecretEnv(MeshEnv(MeshEnvironment.ControlPlane.BootstrapKey), BootstrapSecret, BootstrapSecretKey));
        env.Add(SecretEnv(ApiTokenVariable, ApiTokenSecret, ApiTokenSecretKey));
        // In-cluster clients reach the API by the Service's names; any other Host header is refused.
        env.Add(Env(AllowedHostsVariable, string.Join(",",
            ControlPlaneName, $"{ControlPlaneName}.{ns}", $"{ControlPlaneName}.{ns}.svc", $"{ControlPlaneName}.{ns}.svc.cluster.local")));

        var mounts = new List<V1VolumeMount>
        {
            new V1VolumeMount { MountPath = ConfigMountPath, Name = "config", ReadOnlyProperty = true },
            new V1VolumeMount { MountPath = DataMountPath, Name = "data" },
        };
        var volumes = new List<V1Volume>
        {
            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = ConfigMapName } },
            // The CA's root lives as long as the pod unless a CA Secret is given (see docs/kubernetes.md).
            new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() },
        };
        if (options.CaSecret is { } caSecret)
        {
            env.Add(Env(MeshEnv(MeshEnvironment.ControlPlane.CaCertificatePath), $"{CaMountPath}/tls.crt"));
            env.Add(Env(MeshEnv(MeshEnvironment.ControlPlane.CaKeyPath), $"{CaMountPath}/tls.key"));
            mounts.Add(new V1VolumeMount { MountPath = CaMountPath, Name = "ca", ReadOnlyProperty = true });
            volumes.Add(new V1Volume { Name = "ca", Secret = new V1SecretVolumeSource { SecretName = caSecret } });
        }

        // The kubelet would send the pod's IP as Host, which the API does not answer to.
        var health = new V1HTTPGetAction { Path = "/health", Port = "http", HttpHeaders = [new V1HTTPHeader { Name = "Host", Value = "localhost" }] };
        var container = new V1Container
        {
            Name = "controlplane",
            Image = options.Image("controlplane"),
            ImagePullPolicy = "IfNotPresent",
            Env = env,
            Ports =
            [
                ContainerPort(MeshDevPorts.ControlPlaneHttp, "http"),
                ContainerPort(MeshDevPorts.ControlPlaneGrpc, "grpc"),
            ],
            StartupProbe = new V1Probe { HttpGet = health, PeriodSeconds = 1, FailureThreshold = 120 },
            ReadinessProbe = new V1Probe { HttpGet = health, PeriodSeconds = 5 },
            LivenessProbe = new V1Probe { HttpGet = health, PeriodSeconds = 10, FailureThreshold = 3 },
            VolumeMounts = mounts,
            SecurityContext = Restricted(),
        };
        tree.Add(Deployment(ControlPlaneName, labels, 1, new V1PodSpec
        {
            ServiceAccountName = ControlPlaneName,
            // The control plane learns the mesh from its proxies and its config folder, never from the Kubernetes API.
            AutomountServiceAccountToken = false,
            SecurityContext = PodSecurity(),
            Containers = [container],
            Volumes = volumes,
        }));
        tree.Add(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(ControlPlaneName, labels),
            Spec = new V1ServiceSpec
            {
                Selector = labels,
                Ports =
                [
                    ServicePort(MeshDevPorts.ControlPlaneHttp, "http", "http", "http"),
                    ServicePort(MeshDevPorts.ControlPlaneGrpc, "grpc", "grpc", "grpc"),
                ],
            },
        });
    }

    private static V1PodSpec WorkloadPod(MeshWorkloadTopology workload, MeshTopology topology, KubernetesOptions options)
    {
        var appEnv = new List<V1EnvVar> { Env("ASPNETCORE_URLS", $"http://127.0.0.1:{MeshDevPorts.App}") };
        var proxyEnv = new List<V1EnvVar>
        {
            Env(MeshEnv(MeshEnvironment.Proxy.Mode), "sidecar"),
            FieldEnv(MeshEnv(MeshEnvironment.Proxy.ProxyId), "metadata.name"),
            Env(MeshEnv(MeshEnvironment.Proxy.Workload), workload.Name),
            Env(MeshEnv(MeshEnvironment.Proxy.Service), workload.Service),
            // The mesh's namespace as the AppHost declares it, which identities and config name, wherever the pod runs.
            Env(MeshEnv(MeshEnvironment.Proxy.Namespace), topology.ControlPlane.Namespace),
        };
        proxyEnv.AddRange(workload.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(label => Env(MeshEnv($"{MeshEnvironment.Proxy.Labels}:{label.Key}"), label.Value)));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.ControlPlaneAddress), ControlPlaneAddress));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.InboundBindAddress), "0.0.0.0"));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.InboundPort), Number(MeshDevPorts.ProxyInbound)));
        // Peers reach this instance at the pod's own address, which only the pod knows.
        proxyEnv.Add(FieldEnv(MeshEnv(MeshEnvironment.Proxy.InboundAdvertiseAddress), "status.podIP"));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.ServicePort), Number(workload.ServicePort)));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.InboundProtocol), workload.Protocol.ToConfigValue()));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.AppAddress), $"http://127.0.0.1:{MeshDevPorts.App}"));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.AdminPort), Number(MeshDevPorts.ProxyAdmin)));
        proxyEnv.Add(Env(MeshEnv(MeshEnvironment.Proxy.HealthPort), Number(MeshDevPorts.ProxyHealth)));
        var outboundPort = MeshDevPorts.FirstOutbound;
        foreach (var upstream in workload.Upstreams)
        {
            proxyEnv.Add(Env(MeshEnv($"{MeshEnvironment.Proxy.Outbound}:{upstream.Service}:Port"), Number(outboundPort)));
            proxyEnv.Add(Env(MeshEnv($"{MeshEnvironment.Proxy.Outbound}:{upstream.Service}:Protocol"), upstream.Protocol.ToConfigValue()));
            // The app resolves http://<service> as the AppHost tells it to: its own sidecar's outbound listener.
            appEnv.Add(Env($"services__{upstream.Service}__{upstream.Protocol.ToEndpointScheme()}__0", $"http://127.0.0.1:{outboundPort}"));
            outboundPort++;
        }
        AddIdentity(proxyEnv, workload.ServiceAccount, topology.ControlPlane.TrustDomain);
        appEnv.AddRange(workload.Environment.Select(pair => Env(pair.Key, pair.Value)));

        var proxy = Proxy(options, proxyEnv,
            [
                ContainerPort(MeshDevPorts.ProxyInbound, PortName(workload.Protocol)),
                ContainerPort(MeshDevPorts.ProxyHealth, MeshDevPorts.HealthPortName),
            ]);
        // A native sidecar: started before the app and kept running beside it.
        proxy.RestartPolicy = "Always";
        return new V1PodSpec
        {
            ServiceAccountName = workload.ServiceAccount,
            AutomountServiceAccountToken = false,
            SecurityContext = PodSecurity(),
            InitContainers = [proxy],
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Image = options.Image(workload.Image),
                    ImagePullPolicy = "IfNotPresent",
                    Env = appEnv,
                    SecurityContext = Restricted(),
                },
            ],
        };
    }

    private static void WriteGateway(KustomizeTree tree, MeshGatewayTopology gateway, MeshTopology topology, KubernetesOptions options)
    {
        var labels = new Dictionary<string, string> { ["app"] = GatewayName, ["istio"] = "ingressgateway" };
        var env = new List<V1EnvVar>
        {
            Env(MeshEnv(MeshEnvironment.Proxy.Mode), "gateway"),
            FieldEnv(MeshEnv(MeshEnvironment.Proxy.ProxyId), "metadata.name"),
            Env(MeshEnv(MeshEnvironment.Proxy.Workload), gateway.Name),
            Env(MeshEnv(MeshEnvironment.Proxy.Service), gateway.Name),
            // The namespace of its identity, which policies name (Istio's istio-system), wherever the pod runs.
            Env(MeshEnv(MeshEnvironment.Proxy.Namespace), gateway.Namespace),
            Env(MeshEnv($"{MeshEnvironment.Proxy.Labels}:istio"), "ingressgateway"),
            Env(MeshEnv(MeshEnvironment.Proxy.ControlPlaneAddress), ControlPlaneAddress),
            Env(MeshEnv(MeshEnvironment.Proxy.GatewayBindAddress), "0.0.0.0"),
            Env(MeshEnv(MeshEnvironment.Proxy.GatewayPort), Number(MeshDevPorts.Gateway)),
            Env(MeshEnv(MeshEnvironment.Proxy.GatewayServicePort), Number(gateway.ServicePort)),
            Env(MeshEnv(MeshEnvironment.Proxy.AdminPort), Number(MeshDevPorts.ProxyAdmin)),
            Env(MeshEnv(MeshEnvironment.Proxy.HealthPort), Number(MeshDevPorts.ProxyHealth)),
        };
        AddIdentity(env, gateway.ServiceAccount, topology.ControlPlane.TrustDomain);
        tree.Add(ServiceAccount(gateway.ServiceAccount, labels));
        tree.Add(Deployment(GatewayName, labels, options.Replicas, new V1PodSpec
        {
            ServiceAccountName = gateway.ServiceAccount,
            AutomountServiceAccountToken = false,
            SecurityContext = PodSecurity(),
            Containers =
            [
                Proxy(options, env,
                [
                    ContainerPort(MeshDevPorts.Gateway, "http"),
                    ContainerPort(MeshDevPorts.ProxyHealth, MeshDevPorts.HealthPortName),
                ]),
            ],
        }));
        tree.Add(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(GatewayName, labels),
            Spec = new V1ServiceSpec
            {
                Type = options.GatewayServiceType,
                Selector = labels,
                Ports = [ServicePort(gateway.ServicePort, "http", "http", "http")],
            },
        });
    }

    private static V1Container Proxy(KubernetesOptions options, List<V1EnvVar> env, List<V1ContainerPort> ports)
    {
        var ready = new V1HTTPGetAction { Path = MeshDevPorts.ReadyPath, Port = MeshDevPorts.HealthPortName };
        var started = new V1HTTPGetAction { Path = MeshDevPorts.StartedPath, Port = MeshDevPorts.HealthPortName };
        return new V1Container
        {
            Name = ProxyContainer,
            Image = options.Image("proxy"),
            ImagePullPolicy = "IfNotPresent",
            Env = env,
            Ports = ports,
            // Started once it holds a snapshot from the control plane (and, with mTLS, its certificate): the kubelet
            // starts the app only then, so this cannot wait for the app. Ready once its app is healthy too.
            StartupProbe = new V1Probe { HttpGet = started, PeriodSeconds = 1, FailureThreshold = 120 },
            ReadinessProbe = new V1Probe { HttpGet = ready, PeriodSeconds = 5 },
            SecurityContext = Restricted(),
        };
    }

    private static void AddIdentity(List<V1EnvVar> env, string serviceAccount, string trustDomain)
    {
        env.Add(Env(MeshEnv(MeshEnvironment.Proxy.ServiceAccount), serviceAccount));
        env.Add(Env(MeshEnv(MeshEnvironment.Proxy.TrustDomain), trustDomain));
        env.Add(SecretEnv(MeshEnv(MeshEnvironment.Proxy.IdentityToken), TokenSecret(serviceAccount), TokenSecretKey));
    }

    /// <summary>The control plane's Service by its short name: every MeshDev object lives in one namespace.</summary>
    private static string ControlPlaneAddress => $"http://{ControlPlaneName}:{MeshDevPorts.ControlPlaneGrpc}";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
