using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using MeshDev.Core;
using MeshDev.Core.Identity;
using YamlDotNet.Serialization;

namespace MeshDev.Cli.Kubernetes;

/// <summary>
/// The Secrets a MeshDev Kubernetes tree refers to and never contains: the bootstrap key the control plane checks
/// tokens with, the credential of its HTTP API, and one bootstrap token per proxy identity, minted with that key. Made at deploy time, from the
/// identities the tree's Deployments name, so the tree stays free of credentials.
/// </summary>
public static class DeploySecrets
{
    private const string TokenVariable = "Mesh__Identity__Token";
    private static readonly string BootstrapKeyVariable = MeshEnvironment.ToEnvironmentVariable(MeshEnvironment.ControlPlane.BootstrapKey);
    private const string ApiTokenVariable = "Mesh__ControlPlane__ApiToken";
    private const string RandomAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <param name="treeDirectory">A folder the publish step wrote (kustomization.yaml and one object per file).</param>
    /// <param name="bootstrapKey">The key to use; a new random one when null.</param>
    /// <param name="caSecret">Optionally, a Secret to make of a CA certificate and key (PEM) the control plane signs with.</param>
    public static IReadOnlyList<V1Secret> Create(string treeDirectory, string? bootstrapKey = null, (string Name, string CertificatePem, string KeyPem)? caSecret = null)
    {
        var deployments = ReadDeployments(treeDirectory);
        var ns = KustomizationNamespace(treeDirectory);
        var containers = deployments
            .SelectMany(d => (d.Spec.Template.Spec.InitContainers ?? []).Concat(d.Spec.Template.Spec.Containers ?? []))
            .ToList();

        var bootstrapSecrets = SecretRefs(containers, BootstrapKeyVariable);
        if (bootstrapSecrets.Count != 1)
        {
            throw new MeshctlException(
                $"{treeDirectory}: expected one MeshDev control plane reading its bootstrap key from a Secret, found {bootstrapSecrets.Count}. " +
                "Is this the meshdev flavour's output? The istio flavour needs no MeshDev secrets.", ExitCodes.UsageOrUnreachable);
        }

        bootstrapKey ??= RandomNumberGenerator.GetString(RandomAlphabet, 48);
        if (bootstrapKey.Length < BootstrapToken.MinimumKeyLength)
        {
            throw new MeshctlException($"The bootstrap key must be at least {BootstrapToken.MinimumKeyLength} characters.", ExitCodes.UsageOrUnreachable);
        }

        var secrets = new List<V1Secret> { Secret(bootstrapSecrets[0].Name, ns, bootstrapSecrets[0].Key, bootstrapKey) };
        // The credential of the control plane's HTTP API, for meshctl and other clients inside the cluster.
        foreach (var apiToken in SecretRefs(containers, ApiTokenVariable))
        {
            secrets.Add(Secret(apiToken.Name, ns, apiToken.Key, RandomNumberGenerator.GetString(RandomAlphabet, 48)));
        }
        foreach (var (secretRef, identity) in containers.SelectMany(Tokens).DistinctBy(t => t.Secret.Name).OrderBy(t => t.Secret.Name, StringComparer.Ordinal))
        {
            secrets.Add(Secret(secretRef.Name, ns, secretRef.Key, BootstrapToken.Mint(bootstrapKey, identity)));
        }
        if (caSecret is { } ca)
        {
            var secret = Secret(ca.Name, ns, "tls.crt", ca.CertificatePem);
            secret.Type = "kubernetes.io/tls";
            secret.Data["tls.key"] = Encoding.UTF8.GetBytes(ca.KeyPem);
            secrets.Add(secret);
        }
        return secrets;
    }

    private static List<V1SecretKeySelector> SecretRefs(IEnumerable<V1Container> containers, string variable) =>
        containers
            .SelectMany(c => c.Env ?? [])
            .Where(e => e.Name == variable && e.ValueFrom?.SecretKeyRef is not null)
            .Select(e => e.ValueFrom.SecretKeyRef)
            .DistinctBy(s => (s.Name, s.Key))
            .ToList();

    /// <summary>The Secrets as one YAML stream, for <c>| kubectl apply -f -</c>.</summary>
    public static string ToYaml(IEnumerable<V1Secret> secrets) =>
        string.Join("---\n", secrets.Select(s => KubernetesYaml.Serialize(s).TrimEnd('\n') + "\n"));

    /// <summary>The identity a proxy container proves with its token Secret, from its own Mesh__* variables.</summary>
    private static IEnumerable<(V1SecretKeySelector Secret, SpiffeId Identity)> Tokens(V1Container container)
    {
        var env = container.Env ?? [];
        if (env.FirstOrDefault(e => e.Name == TokenVariable)?.ValueFrom?.SecretKeyRef is not { } secretRef)
        {
            yield break;
        }
        string Value(string key, string? fallback = null) =>
            env.FirstOrDefault(e => e.Name == MeshEnvironment.ToEnvironmentVariable(key))?.Value
                ?? fallback
                ?? throw new MeshctlException($"Container '{container.Name}' takes its token from Secret '{secretRef.Name}' but sets no " +
                    $"{MeshEnvironment.ToEnvironmentVariable(key)}, so its identity is unknown.", ExitCodes.UsageOrUnreachable);
        yield return (secretRef, new SpiffeId(
            Value(MeshEnvironment.Proxy.TrustDomain, MeshEnvironment.DefaultTrustDomain),
            Value(MeshEnvironment.Proxy.Namespace, MeshEnvironment.DefaultNamespace),
            Value(MeshEnvironment.Proxy.ServiceAccount)));
    }

    private static V1Secret Secret(string name, string? ns, string key, string value) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "meshdev" } },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { [key] = Encoding.UTF8.GetBytes(value) },
    };

    private static List<V1Deployment> ReadDeployments(string treeDirectory)
    {
        if (!File.Exists(Path.Combine(treeDirectory, "kustomization.yaml")))
        {
            throw new MeshctlException($"{treeDirectory} has no kustomization.yaml; pass the folder the publish step wrote.", ExitCodes.UsageOrUnreachable);
        }
        var deployments = new List<V1Deployment>();
        foreach (var file in Directory.EnumerateFiles(treeDirectory, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal))
        {
            try
            {
                deployments.AddRange(KubernetesYaml.LoadAllFromString(File.ReadAllText(file)).OfType<V1Deployment>());
            }
            catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or IOException)
            {
                throw new MeshctlException($"{file}: {ex.Message}", ExitCodes.UsageOrUnreachable);
            }
        }
        return deployments;
    }

    private static string? KustomizationNamespace(string treeDirectory)
    {
        var kustomization = new DeserializerBuilder().IgnoreUnmatchedProperties().Build()
            .Deserialize<Dictionary<string, object?>>(File.ReadAllText(Path.Combine(treeDirectory, "kustomization.yaml")));
        return kustomization.TryGetValue("namespace", out var ns) ? ns as string : null;
    }
}
