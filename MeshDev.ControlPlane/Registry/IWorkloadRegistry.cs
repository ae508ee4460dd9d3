using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Registry;

/// <summary>The set of proxies the control plane knows, connected or within their disconnect grace period.</summary>
public interface IWorkloadRegistry
{
    /// <summary>Raised after every change, outside the registry's lock.</summary>
    event Action<RegistryChange>? Changed;

    /// <summary>
    /// Registers (or re-registers) the proxy that sent <paramref name="hello"/> and returns the session that
    /// identifies this stream's ownership of the entry.
    /// </summary>
    long Register(ProxyHello hello);

    /// <summary>Records a health report; ignored unless <paramref name="session"/> still owns the entry.</summary>
    void ReportHealth(string proxyId, long session, bool healthy);

    /// <summary>
    /// Marks the proxy disconnected and removes it after the grace period unless it reconnects first;
    /// ignored unless <paramref name="session"/> still owns the entry.
    /// </summary>
    void Disconnect(string proxyId, long session);

    Workload? Find(string proxyId);

    IReadOnlyList<Workload> GetAll();
}
