using k8s.Models;

namespace MeshDev.Tests.Kubernetes;

/// <summary>
/// What a cluster would only find out at deploy time: a Service that selects no pod or targets a port no pod
/// names, a pod whose service account, ConfigMap or Secret is missing.
/// </summary>
public static class CrossReferences
{
    /// <param name="deployTimeSecrets">Secrets made at deploy time rather than shipped in the tree.</param>
    public static List<string> Problems(IReadOnlyList<object> objects, IReadOnlySet<string> deployTimeSecrets)
    {
        var problems = new List<string>();
        var deployments = objects.OfType<V1Deployment>().ToList();
        var serviceAccounts = objects.OfType<V1ServiceAccount>().Select(s => s.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var configMaps = objects.OfType<V1ConfigMap>().Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var secrets = objects.OfType<V1Secret>().Select(s => s.Metadata.Name).Concat(deployTimeSecrets).ToHashSet(StringComparer.Ordinal);

        foreach (var deployment in deployments)
        {
            var name = deployment.Metadata.Name;
            var pod = deployment.Spec.Template;
            if (!Matches(deployment.Spec.Selector.MatchLabels, pod.Metadata.Labels))
            {
                problems.Add($"Deployment {name}: its selector does not match its own pod template's labels");
            }
            if (pod.Spec.ServiceAccountName is { } account && !serviceAccounts.Contains(account))
            {
                problems.Add($"Deployment {name}: service account {account} does not exist");
            }
            foreach (var volume in pod.Spec.Volumes ?? [])
            {
                if (volume.ConfigMap is { } configMap && !configMaps.Contains(configMap.Name))
                {
                    problems.Add($"Deployment {name}: volume {volume.Name} names ConfigMap {configMap.Name}, which does not exist");
                }
                if (volume.Secret is { } secret && !secrets.Contains(secret.SecretName))
                {
                    problems.Add($"Deployment {name}: volume {volume.Name} names Secret {secret.SecretName}, which does not exist");
                }
            }
            var containers = Containers(pod.Spec).ToList();
            foreach (var container in containers)
            {
                foreach (var env in container.Env ?? [])
                {
                    if (env.ValueFrom?.SecretKeyRef is { } secretRef && !secrets.Contains(secretRef.Name))
                    {
                        problems.Add($"Deployment {name}: container {container.Name} reads {env.Name} from Secret {secretRef.Name}, which does not exist");
                    }
                    if (env.ValueFrom?.ConfigMapKeyRef is { } configMapRef && !configMaps.Contains(configMapRef.Name))
                    {
                        problems.Add($"Deployment {name}: container {container.Name} reads {env.Name} from ConfigMap {configMapRef.Name}, which does not exist");
                    }
                }
                foreach (var mount in container.VolumeMounts ?? [])
                {
                    if ((pod.Spec.Volumes ?? []).All(v => v.Name != mount.Name))
                    {
                        problems.Add($"Deployment {name}: container {container.Name} mounts volume {mount.Name}, which the pod does not have");
                    }
                }
                foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
                {
                    if (probe?.HttpGet?.Port?.Value is { } port && !HasPort(container, port))
                    {
                        problems.Add($"Deployment {name}: container {container.Name} probes port {port}, which it does not declare");
                    }
                }
            }
        }

        foreach (var service in objects.OfType<V1Service>())
        {
            var selected = deployments.Where(d => Matches(service.Spec.Selector, d.Spec.Template.Metadata.Labels)).ToList();
            if (selected.Count == 0)
            {
                problems.Add($"Service {service.Metadata.Name}: its selector matches no pod");
                continue;
            }
            foreach (var port in service.Spec.Ports)
            {
                var target = port.TargetPort?.Value ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                foreach (var deployment in selected.Where(d => !Containers(d.Spec.Template.Spec).Any(c => HasPort(c, target))))
                {
                    problems.Add($"Service {service.Metadata.Name}: port {port.Name} targets {target}, which pods of {deployment.Metadata.Name} do not declare");
                }
            }
        }
        return problems;
    }

    public static IEnumerable<V1Container> Containers(V1PodSpec pod) => (pod.InitContainers ?? []).Concat(pod.Containers ?? []);

    /// <param name="port">A port's name or number, as a Service's targetPort or a probe names it.</param>
    private static bool HasPort(V1Container container, string port) =>
        (container.Ports ?? []).Any(p => p.Name == port || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == port);

    private static bool Matches(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);
}
