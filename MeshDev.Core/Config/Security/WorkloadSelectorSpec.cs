namespace MeshDev.Core.Config.Security;

/// <summary>Istio's WorkloadSelector: the labels a workload must carry for a policy to apply to it.</summary>
public sealed class WorkloadSelectorSpec
{
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>True when every label of the selector is on the workload (an empty selector matches every workload).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels) =>
        MatchLabels.All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value);

    internal static WorkloadSelectorSpec Read(YamlSpecReader r) => new() { MatchLabels = r.StringMap("matchLabels") };
}
