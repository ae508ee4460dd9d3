using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace MeshDev.Hosting;

/// <summary>
/// Manifest entries of the mesh's resources. Each is a <c>container.v0</c> running MeshDev's image, a type every
/// manifest reader knows (azd stops on any type it does not); what makes it part of the mesh (its service, labels,
/// upstreams, identity) travels in a <c>meshdev</c> object beside it, which such readers skip and MeshDev's
/// Kubernetes generator reads back. The local command line, which names paths on one machine, is not written.
/// </summary>
internal static class MeshManifest
{
    /// <summary>The property that carries the mesh's own description of an entry.</summary>
    public const string MeshProperty = "meshdev";

    public const string ControlPlaneKind = "controlPlane";
    public const string SidecarKind = "sidecar";
    public const string GatewayKind = "gateway";

    public static async Task WriteControlPlaneAsync(ManifestPublishingContext context, MeshControlPlaneResource controlPlane)
    {
        var writer = context.Writer;
        WriteContainer(context, controlPlane.KubernetesOptions.Image("controlplane"));
        writer.WriteStartObject(MeshProperty);
        writer.WriteString("kind", ControlPlaneKind);
        writer.WriteString("namespace", controlPlane.Namespace);
        writer.WriteString("trustDomain", controlPlane.TrustDomain);
        if (controlPlane.ConfigDirectory is { } configDirectory)
        {
            // Relative to the manifest, as the paths of project entries are.
            // The control plane runs in the AppHost's directory, which its config folder is relative to.
            var fullPath = Path.GetFullPath(configDirectory, controlPlane.WorkingDirectory);
            writer.WriteString("configDirectory", context.GetManifestRelativePath(fullPath));
        }
        writer.WriteEndObject();
        await context.WriteEnvironmentVariablesAsync(controlPlane).ConfigureAwait(false);
        context.WriteBindings(controlPlane);
    }

    public static async Task WriteSidecarAsync(ManifestPublishingContext context, MeshSidecarResource sidecar)
    {
        var writer = context.Writer;
        WriteContainer(context, sidecar.ControlPlane.KubernetesOptions.Image("proxy"));
        writer.WriteStartObject(MeshProperty);
        writer.WriteString("kind", SidecarKind);
        writer.WriteString("app", sidecar.App.Name);
        writer.WriteString("controlPlane", sidecar.ControlPlane.Name);
        writer.WriteString("service", sidecar.Service);
        writer.WriteString("protocol", sidecar.Protocol.ToConfigValue());
        writer.WriteNumber("servicePort", sidecar.ServicePort);
        writer.WriteStartObject("labels");
        foreach (var (key, value) in sidecar.Labels)
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
        writer.WriteStartObject("upstreams");
        foreach (var (service, protocol) in sidecar.Upstreams)
        {
            writer.WriteString(service, protocol.ToConfigValue());
        }
        writer.WriteEndObject();
        WriteIdentity(context, sidecar.Identity, sidecar.ControlPlane);
        writer.WriteEndObject();
        await context.WriteEnvironmentVariablesAsync(sidecar).ConfigureAwait(false);
        context.WriteBindings(sidecar);
    }

    public static async Task WriteGatewayAsync(ManifestPublishingContext context, MeshGatewayResource gateway)
    {
        var writer = context.Writer;
        WriteContainer(context, gateway.ControlPlane.KubernetesOptions.Image("proxy"));
        writer.WriteStartObject(MeshProperty);
        writer.WriteString("kind", GatewayKind);
        writer.WriteString("controlPlane", gateway.ControlPlane.Name);
        writer.WriteNumber("servicePort", gateway.ServicePort);
        WriteIdentity(context, gateway.Identity, gateway.ControlPlane);
        writer.WriteEndObject();
        await context.WriteEnvironmentVariablesAsync(gateway).ConfigureAwait(false);
        context.WriteBindings(gateway);
    }

    private static void WriteContainer(ManifestPublishingContext context, string image)
    {
        context.Writer.WriteString("type", "container.v0");
        context.Writer.WriteString("image", image);
    }

    /// <summary>
    /// The proxy's workload identity. A deployment gives the proxy <c>Mesh__Identity__Token</c> =
    /// <c>BootstrapToken.Mint(&lt;tokenKey&gt;, &lt;spiffeId&gt;)</c>; the manifest holds only a reference to the secret
    /// parameter the token is minted with, never the token or the key.
    /// </summary>
    private static void WriteIdentity(ManifestPublishingContext context, Core.Identity.SpiffeId identity, MeshControlPlaneResource controlPlane)
    {
        var writer = context.Writer;
        writer.WriteStartObject("identity");
        writer.WriteString("spiffeId", identity.ToString());
        writer.WriteString("serviceAccount", identity.ServiceAccount);
        writer.WriteString("namespace", identity.Namespace);
        writer.WriteString("tokenKey", controlPlane.BootstrapKey.ValueExpression);
        writer.WriteEndObject();
    }
}
