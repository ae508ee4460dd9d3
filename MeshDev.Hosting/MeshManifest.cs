using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace MeshDev.Hosting;

/// <summary>
/// Manifest entries of the mesh's resources. They describe what the resource is (its mesh service, labels,
/// upstreams) rather than the local command line, which names paths on one machine; deployment tools
/// build the proxy and control plane images from these entries.
/// </summary>
internal static class MeshManifest
{
    public static async Task WriteControlPlaneAsync(ManifestPublishingContext context, MeshControlPlaneResource controlPlane)
    {
        var writer = context.Writer;
        writer.WriteString("type", "meshdev.controlplane.v0");
        writer.WriteString("namespace", controlPlane.Namespace);
        await context.WriteEnvironmentVariablesAsync(controlPlane).ConfigureAwait(false);
        context.WriteBindings(controlPlane);
    }

    public static async Task WriteSidecarAsync(ManifestPublishingContext context, MeshSidecarResource sidecar)
    {
        var writer = context.Writer;
        writer.WriteString("type", "meshdev.sidecar.v0");
        writer.WriteString("parent", sidecar.App.Name);
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
        await context.WriteEnvironmentVariablesAsync(sidecar).ConfigureAwait(false);
        context.WriteBindings(sidecar);
    }

    public static async Task WriteGatewayAsync(ManifestPublishingContext context, MeshGatewayResource gateway)
    {
        var writer = context.Writer;
        writer.WriteString("type", "meshdev.gateway.v0");
        writer.WriteString("controlPlane", gateway.ControlPlane.Name);
        WriteIdentity(context, gateway.Identity, gateway.ControlPlane);
        await context.WriteEnvironmentVariablesAsync(gateway).ConfigureAwait(false);
        context.WriteBindings(gateway);
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
