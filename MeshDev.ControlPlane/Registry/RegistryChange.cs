namespace MeshDev.ControlPlane.Registry;

public enum RegistryChangeKind
{
    Registered,
    HealthChanged,
    Disconnected,
    Removed,
}

public readonly record struct RegistryChange(RegistryChangeKind Kind, string ProxyId);
