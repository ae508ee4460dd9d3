using System.Text.Json.Nodes;
using MeshDev.ControlPlane.Config;
using MeshDev.Core.Api;
using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Api;

/// <summary>The config API's answers built from the control plane's config (their shapes live in MeshDev.Core.Api).</summary>
public static class ConfigApiResponses
{
    public static ResourceResponse Resource(ConfigResource r, MeshConfig config)
    {
        var applied = config.AppliedFiles.TryGetValue(r.Key, out var file);
        return new(r.ApiVersion, r.Kind, new ResourceMetadataResponse(r.Metadata.Name, r.Metadata.Namespace, r.Metadata.Labels),
            (JsonObject)r.RawSpec.DeepClone(), r.Source, applied ? ResourceResponse.ApiOrigin : ResourceResponse.FolderOrigin, applied ? file : r.Source);
    }
}
