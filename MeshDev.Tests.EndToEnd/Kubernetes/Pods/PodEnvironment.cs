using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// A container's environment as the kubelet computes it from the pod spec: <c>envFrom</c> first, then <c>env</c> in
/// order, with <c>$(VAR)</c> references to variables defined before expanded, the downward API (<c>fieldRef</c>)
/// answered from the running pod and <c>secretKeyRef</c>/<c>configMapKeyRef</c> read from the objects in the
/// namespace. A reference the kubelet would refuse (a missing object or key that is not optional, an unknown field
/// path) fails the pod with the kubelet's reason.
/// </summary>
public static partial class PodEnvironment
{
    public static IReadOnlyDictionary<string, string> Resolve(V1Container container, PodIdentity pod, ClusterObjects objects)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            var prefix = source.Prefix ?? "";
            if (source.ConfigMapRef is { } configMapRef)
            {
                var configMap = objects.ConfigMap(pod.Namespace, configMapRef.Name);
                if (configMap is null)
                {
                    Refuse(configMapRef.Optional, pod, container, $"configmap \"{configMapRef.Name}\" not found (envFrom)");
                    continue;
                }
                foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
                {
                    values[prefix + key] = value;
                }
            }
            if (source.SecretRef is { } secretRef)
            {
                var secret = objects.Secret(pod.Namespace, secretRef.Name);
                if (secret is null)
                {
                    Refuse(secretRef.Optional, pod, container, $"secret \"{secretRef.Name}\" not found (envFrom)");
                    continue;
                }
                foreach (var (key, value) in ClusterObjects.SecretData(secret))
                {
                    values[prefix + key] = Encoding.UTF8.GetString(value);
                }
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom is null)
            {
                values[variable.Name] = Expand(variable.Value ?? "", values);
                continue;
            }

            var resolved = ValueFrom(variable, pod, container, objects);
            if (resolved is not null)
            {
                values[variable.Name] = resolved;
            }
        }
        return values;
    }

    /// <summary>The kubelet's <c>$(VAR)</c> expansion for env values, command and args; <c>$$</c> escapes.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> defined) =>
        Reference().Replace(text, match => match.Value == "$$" ? "$"
            : defined.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value);

    private static string? ValueFrom(V1EnvVar variable, PodIdentity pod, V1Container container, ClusterObjects objects)
    {
        var from = variable.ValueFrom;
        if (from.FieldRef is { } field)
        {
            return FieldValue(field.FieldPath, pod)
                ?? throw new PodSpecRefusedException(pod, container,
                    $"env {variable.Name}: fieldRef \"{field.FieldPath}\" is not a field the downward API offers to env");
        }
        if (from.SecretKeyRef is { } secretKey)
        {
            var secret = objects.Secret(pod.Namespace, secretKey.Name);
            if (secret is not null && ClusterObjects.SecretData(secret).TryGetValue(secretKey.Key, out var bytes))
            {
                return Encoding.UTF8.GetString(bytes);
            }
            Refuse(secretKey.Optional, pod, container, secret is null
                ? $"env {variable.Name}: secret \"{secretKey.Name}\" not found"
                : $"env {variable.Name}: couldn't find key {secretKey.Key} in Secret {pod.Namespace}/{secretKey.Name}");
            return null;
        }
        if (from.ConfigMapKeyRef is { } configMapKey)
        {
            var configMap = objects.ConfigMap(pod.Namespace, configMapKey.Name);
            if (configMap?.Data is { } data && data.TryGetValue(configMapKey.Key, out var value))
            {
                return value;
            }
            Refuse(configMapKey.Optional, pod, container, configMap is null
                ? $"env {variable.Name}: configmap \"{configMapKey.Name}\" not found"
                : $"env {variable.Name}: couldn't find key {configMapKey.Key} in ConfigMap {pod.Namespace}/{configMapKey.Name}");
            return null;
        }
        throw new PodSpecRefusedException(pod, container,
            $"env {variable.Name}: valueFrom {(from.ResourceFieldRef is not null ? "resourceFieldRef" : "(empty)")} is not run by this kubelet stand-in");
    }

    private static string? FieldValue(string path, PodIdentity pod)
    {
        switch (path)
        {
            case "metadata.name": return pod.Name;
            case "metadata.namespace": return pod.Namespace;
            case "metadata.uid": return pod.Uid;
            case "spec.nodeName": return PodIdentity.NodeName;
            case "spec.serviceAccountName": return pod.ServiceAccountName;
            case "status.podIP":
            case "status.podIPs": return pod.Ip;
            case "status.hostIP":
            case "status.hostIPs": return pod.HostIp;
        }
        var labelOrAnnotation = LabelPath().Match(path);
        if (labelOrAnnotation.Success)
        {
            var map = labelOrAnnotation.Groups[1].Value == "labels" ? pod.Labels : pod.Annotations;
            return map.TryGetValue(labelOrAnnotation.Groups[2].Value, out var value) ? value : "";
        }
        return null;
    }

    private static void Refuse(bool? optional, PodIdentity pod, V1Container container, string reason)
    {
        if (optional != true)
        {
            throw new PodSpecRefusedException(pod, container, $"CreateContainerConfigError: {reason}");
        }
    }

    [GeneratedRegex(@"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^metadata\.(labels|annotations)\['([^']+)'\]$")]
    private static partial Regex LabelPath();
}
