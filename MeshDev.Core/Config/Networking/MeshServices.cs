using MeshDev.Core.Discovery;

namespace MeshDev.Core.Config.Networking;

/// <summary>The mesh services that config may refer to, with the port and protocol of those a registered sidecar told.</summary>
internal sealed class MeshServices(
    IReadOnlySet<string> names,
    IReadOnlyDictionary<string, uint>? ports,
    IReadOnlyDictionary<string, ServiceProtocol>? protocols)
{
    public IReadOnlySet<string> Names { get; } = names;

    public IReadOnlyDictionary<string, uint> Ports { get; } = ports ?? new Dictionary<string, uint>();

    public IReadOnlyDictionary<string, ServiceProtocol> Protocols { get; } = protocols ?? new Dictionary<string, ServiceProtocol>();

    /// <summary>The known names for a message, or that there are none yet.</summary>
    public string Describe() =>
        Names.Count == 0 ? "none declared or registered yet" : string.Join(", ", Names.Order(StringComparer.Ordinal));
}
