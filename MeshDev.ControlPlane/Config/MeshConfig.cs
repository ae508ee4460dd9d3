using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Config;

/// <summary>The config in force: every accepted resource in creation order, and a version bumped on each change.</summary>
public sealed record MeshConfig(long Version, IReadOnlyList<ConfigResource> Resources)
{
    public static readonly MeshConfig Empty = new(0, []);

    /// <summary>The resources applied through the API and the file each is kept in; the others came from the watched folder.</summary>
    public IReadOnlyDictionary<ResourceKey, string> AppliedFiles { get; init; } = new Dictionary<ResourceKey, string>();

    public IEnumerable<T> OfKind<T>() where T : ConfigResource => Resources.OfType<T>();

    public ConfigResource? Find(ResourceKey key) => Resources.FirstOrDefault(r => r.Key == key);
}

public enum ApplyAction
{
    Created,
    Configured,
    Unchanged,
}

public sealed record AppliedResource(ResourceKey Key, ApplyAction Action);

/// <summary>What a change did: accepted (with what it did to each resource) or refused with the reasons.</summary>
public sealed record ConfigChangeResult(bool Accepted, long ConfigVersion, IReadOnlyList<AppliedResource> Applied, IReadOnlyList<ConfigMessage> Messages)
{
    public IEnumerable<ConfigMessage> Errors => Messages.Where(m => m.IsError);
}

/// <summary>A watched file whose latest content was refused; its previous content stays in force.</summary>
public sealed record RejectedSource(string Source, IReadOnlyList<ConfigMessage> Messages);
