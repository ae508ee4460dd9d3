using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;

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

    /// <summary>The service port of each registered service (a MeshDev service has one), as its sidecars announced it.</summary>
    public IReadOnlyDictionary<string, uint> Ports() =>
        registry.GetAll()
            .Where(w => w.IsSidecar && w.ServicePort != 0)
            .OrderBy(w => w.ProxyId, StringComparer.Ordinal)
            .GroupBy(w => w.Service, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().ServicePort, StringComparer.Ordinal);

    /// <summary>The protocol of each service a sidecar has registered (instances of a service share one).</summary>
    public IReadOnlyDictionary<string, ServiceProtocol> Protocols() =>
        registry.GetAll()
            .Where(w => w.IsSidecar && w.Protocol != ServiceProtocol.Unspecified)
            .GroupBy(w => w.Service, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Protocol, StringComparer.Ordinal);
}
