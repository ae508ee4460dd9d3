namespace MeshDev.Core.Config.Networking;

/// <summary>
/// What no single resource shows: two resources with one key, and two DestinationRules for one host (Istio would
/// merge or pick one of them silently).
/// </summary>
internal static class DuplicateResources
{
    public static void Check(IReadOnlyList<ConfigResource> config, ConfigReport report)
    {
        var seen = new Dictionary<ResourceKey, ConfigResource>();
        var hosts = new Dictionary<(string, string), DestinationRuleResource>();
        foreach (var resource in config)
        {
            if (!seen.TryAdd(resource.Key, resource))
            {
                var first = seen[resource.Key];
                report.Error(resource, "metadata.name",
                    $"{resource.Key} is defined twice (also in {first.Source} at line {first.Line}); give one of them another name or remove it.");
            }

            if (resource is DestinationRuleResource { Spec.Host: { Length: > 0 } host } dr && !ServiceHost.IsWildcard(host))
            {
                var key = ServiceHost.Resolve(host, dr.Metadata.Namespace);
                if (!hosts.TryAdd(key, dr) && hosts[key].Key != dr.Key)
                {
                    var first = hosts[key];
                    report.Error(dr, "spec.host",
                        $"host '{host}' already has DestinationRule {first.Metadata.Namespace}/{first.Metadata.Name} ({first.Source} line {first.Line}); " +
                        "two DestinationRules for one host conflict; merge their subsets and policies into one.");
                }
            }
        }
    }
}
