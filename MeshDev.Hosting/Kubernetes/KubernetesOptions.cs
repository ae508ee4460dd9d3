using System.Globalization;
using Aspire.Hosting;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>Which kind of cluster the output is for.</summary>
public enum KubernetesFlavor
{
    /// <summary>MeshDev's proxy beside every app, its control plane and its gateway.</summary>
    MeshDev,
    /// <summary>The apps alone, for a cluster that runs Istio: Istio injects its own sidecars and reads the mesh config.</summary>
    Istio,
}

/// <summary>
/// Options of the Kubernetes output. Set in code with <c>WithKubernetes</c>, or at publish time from configuration:
/// <c>Mesh:Kubernetes:Flavor</c> (or the shortcut <c>--mesh istio</c>), <c>Mesh:Kubernetes:Namespace</c>,
/// <c>Mesh:Kubernetes:ImageRegistry</c>, <c>Mesh:Kubernetes:ImageTag</c>, <c>Mesh:Kubernetes:Replicas</c>,
/// <c>Mesh:Kubernetes:GatewayServiceType</c>, <c>Mesh:Kubernetes:CaSecret</c>; configuration wins over code.
/// </summary>
public sealed record KubernetesOptions
{
    public const string Section = "Mesh:Kubernetes";

    /// <summary>The command-line shortcut: <c>--mesh istio</c>.</summary>
    public const string FlavorShortcut = "mesh";

    public KubernetesFlavor Flavor { get; init; } = KubernetesFlavor.MeshDev;

    /// <summary>The namespace of every object, the mesh's own namespace unless set.</summary>
    public string? Namespace { get; init; }

    /// <summary>Prefix of every image name: meshdev/proxy, meshdev/bookinfo-reviews...</summary>
    public string ImageRegistry { get; init; } = "meshdev";

    public string ImageTag { get; init; } = "latest";

    public int Replicas { get; init; } = 1;

    /// <summary>The gateway Service's type: LoadBalancer, or NodePort where no load balancer is.</summary>
    public string GatewayServiceType { get; init; } = "LoadBalancer";

    /// <summary>
    /// A Secret with a CA certificate and key (<c>tls.crt</c>, <c>tls.key</c>) the control plane signs with; unset, it
    /// creates its own root in its data folder.
    /// </summary>
    public string? CaSecret { get; init; }

    internal KubernetesOptions Override(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var options = this;
        if ((section["Flavor"] ?? configuration[FlavorShortcut]) is { Length: > 0 } flavor)
        {
            options = options with { Flavor = ParseFlavor(flavor) };
        }
        if (section["Namespace"] is { Length: > 0 } ns)
        {
            options = options with { Namespace = ns };
        }
        if (section["ImageRegistry"] is { } registry)
        {
            options = options with { ImageRegistry = registry };
        }
        if (section["ImageTag"] is { Length: > 0 } tag)
        {
            options = options with { ImageTag = tag };
        }
        if (section["Replicas"] is { Length: > 0 } replicas)
        {
            options = options with
            {
                Replicas = int.TryParse(replicas, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1
                    ? count
                    : throw new DistributedApplicationException($"{Section}:Replicas is '{replicas}'; expected a whole number of at least 1."),
            };
        }
        if (section["GatewayServiceType"] is { Length: > 0 } type)
        {
            options = options with { GatewayServiceType = type };
        }
        if (section["CaSecret"] is { Length: > 0 } ca)
        {
            options = options with { CaSecret = ca };
        }
        options.Validate();
        return options;
    }

    internal void Validate()
    {
        if (GatewayServiceType is not ("LoadBalancer" or "NodePort" or "ClusterIP"))
        {
            throw new DistributedApplicationException(
                $"{Section}:GatewayServiceType is '{GatewayServiceType}'; expected LoadBalancer, NodePort or ClusterIP.");
        }
        if (Replicas < 1)
        {
            throw new DistributedApplicationException($"{Section}:Replicas is {Replicas}; expected at least 1.");
        }
    }

    internal string Image(WorkloadImage image) => image.IsProject ? Image(image.Reference) : image.Reference;

    internal string Image(string name) =>
        (ImageRegistry.Length == 0 ? name : $"{ImageRegistry.TrimEnd('/')}/{name}") + ":" + ImageTag;

    private static KubernetesFlavor ParseFlavor(string value) => value.ToLowerInvariant() switch
    {
        "meshdev" => KubernetesFlavor.MeshDev,
        "istio" => KubernetesFlavor.Istio,
        _ => throw new DistributedApplicationException($"The mesh flavour '{value}' is unknown; expected 'meshdev' or 'istio' ({Section}:Flavor or --mesh)."),
    };
}
