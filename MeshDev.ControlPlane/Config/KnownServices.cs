using MeshDev.ControlPlane.Registry;

namespace MeshDev.ControlPlane.Config;

/// <summary>
/// The mesh services config may name: those the AppHost declares (known before any sidecar connects, so a folder
/// loaded at start validates) and those registered by a sidecar.
/// </summary>
public sealed class KnownServices(ControlPlaneOptions options, IWorkloadRegistry registry)
{
    public IReadOnlySet<string> Current() =>
        options.Services
            .Concat(registry.GetAll().Where(w => w.IsSidecar).Select(w => w.Service))
            .ToHashSet(StringComparer.Ordinal);
}
