namespace MeshDev.Tests.Proxy;

/// <summary>
/// Proxy tests start real processes and time their expectations; on a small machine they run one class at a time
/// so that they do not starve each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProxyProcessCollection
{
    public const string Name = "Proxy processes";
}
