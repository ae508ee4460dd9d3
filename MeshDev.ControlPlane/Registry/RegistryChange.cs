namespace MeshDev.ControlPlane.Registry;

public enum RegistryChangeKind
{
    Registered,
    HealthChanged,
    Disconnected,
    /// <summary>A disconnected proxy's process is known gone; its endpoints leave load balancing.</summary>
    ProcessGone,
    Removed,
}

public readonly record struct RegistryChange(RegistryChangeKind Kind, string ProxyId);
