using MeshDev.ControlPlane.Push;
using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Config;

public interface IConfigStore
{
    MeshConfig Current { get; }

    /// <summary>Files whose latest content was refused.</summary>
    IReadOnlyList<RejectedSource> Rejected { get; }

    /// <summary>Applies every document of <paramref name="yaml"/> on top of the config, or nothing.</summary>
    ConfigChangeResult Apply(string yaml, string source);

    /// <summary>Validates <paramref name="yaml"/> as if applied; changes nothing.</summary>
    ConfigChangeResult Analyze(string yaml, string source);

    /// <summary>Null when no such resource exists.</summary>
    ConfigChangeResult? Delete(ResourceKey key);

    /// <summary>Makes <paramref name="yaml"/> the whole content of <paramref name="source"/> (a watched file); null text removes it.</summary>
    ConfigChangeResult ReplaceSource(string source, string? yaml);

    /// <summary>Loads several sources at once (the folder at start); a source that cannot be accepted is left out and listed as rejected.</summary>
    void LoadSources(IReadOnlyDictionary<string, string> sources);
}

/// <summary>
/// Holds the Istio resources in force. Every change is checked as the whole config it would produce (all or
/// nothing); an accepted change bumps the version and asks for a push. Only problems a change introduces refuse
/// it: a problem the config already had (a registered service went away) does not block unrelated changes.
/// </summary>
public sealed partial class ConfigStore(KnownServices knownServices, IPushScheduler push, ILogger<ConfigStore> logger) : IConfigStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RejectedSource> _rejected = new(StringComparer.Ordinal);
    private MeshConfig _current = MeshConfig.Empty;

    public MeshConfig Current => Volatile.Read(ref _current);

    public IReadOnlyList<RejectedSource> Rejected
    {
        get
        {
            lock (_lock)
            {
                return _rejected.Values.OrderBy(r => r.Source, StringComparer.Ordinal).ToList();
            }
        }
    }

    public ConfigChangeResult Apply(string yaml, string source) => Change(yaml, source, commit: true);

    public ConfigChangeResult Analyze(string yaml, string source) => Change(yaml, source, commit: false);

    public ConfigChangeResult? Delete(ResourceKey key)
    {
        lock (_lock)
        {
            var current = _current;
            if (current.Find(key) is null)
            {
                return null;
            }

            return Commit(current, current.Resources.Where(r => r.Key != key).ToList(), [], touched: new HashSet<ResourceKey>());
        }
    }

    public ConfigChangeResult ReplaceSource(string source, string? yaml)
    {
        var parsed = yaml is null ? new ConfigParseResult([], []) : ConfigParser.Parse(yaml, source);
        lock (_lock)
        {
            var result = parsed.HasErrors
                ? Refused(_current, parsed.Messages)
                : Commit(_current, Replace(_current.Resources, source, parsed.Resources, out var applied), applied, parsed.Resources.Select(r => r.Key).ToHashSet());
            RecordSourceOutcome(source, result);
            return result;
        }
    }

    public void LoadSources(IReadOnlyDictionary<string, string> sources)
    {
        var parsed = sources.OrderBy(s => s.Key, StringComparer.Ordinal)
            .ToDictionary(s => s.Key, s => ConfigParser.Parse(s.Value, s.Key), StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (source, result) in parsed.Where(p => p.Value.HasErrors))
            {
                RecordSourceOutcome(source, Refused(_current, result.Messages));
            }

            // Leave out the files the problems point at until the rest is valid together.
            var candidates = parsed.Where(p => !p.Value.HasErrors).Select(p => p.Key).ToList();
            while (candidates.Count > 0)
            {
                var resources = _current.Resources.Concat(candidates.SelectMany(s => parsed[s].Resources)).ToList();
                var errors = NewErrors(_current, resources);
                if (errors.Count == 0)
                {
                    var result = Commit(_current, resources, candidates.SelectMany(s => parsed[s].Resources)
                        .Select(r => new AppliedResource(r.Key, ApplyAction.Created)).ToList(), touched: new HashSet<ResourceKey>());
                    candidates.ForEach(s => RecordSourceOutcome(s, result));
                    return;
                }

                var blamed = candidates.Where(s => errors.Any(e => e.Source == s)).ToList();
                if (blamed.Count == 0)
                {
                    blamed = [candidates[^1]];
                }

                foreach (var source in blamed)
                {
                    RecordSourceOutcome(source, Refused(_current, errors.Where(e => e.Source == source).DefaultIfEmpty(errors[0]).ToList()));
                    candidates.Remove(source);
                }
            }
        }
    }

    private ConfigChangeResult Change(string yaml, string source, bool commit)
    {
        var parsed = ConfigParser.Parse(yaml, source);
        lock (_lock)
        {
            var current = _current;
            if (parsed.HasErrors)
            {
                return Refused(current, parsed.Messages);
            }

            var duplicates = parsed.Resources.GroupBy(r => r.Key).Where(g => g.Count() > 1)
                .Select(g => g.Skip(1).First())
                .Select(r => new ConfigMessage(r.Source, r.Line, 1, r.Kind, r.Metadata.Namespace, r.Metadata.Name, "metadata.name",
                    $"{r.Key} is given twice in this input; give it once."))
                .ToList();
            if (duplicates.Count > 0)
            {
                return Refused(current, duplicates);
            }

            var resources = current.Resources.ToList();
            var applied = new List<AppliedResource>();
            foreach (var resource in parsed.Resources)
            {
                var index = resources.FindIndex(r => r.Key == resource.Key);
                if (index < 0)
                {
                    resources.Add(resource);
                    applied.Add(new AppliedResource(resource.Key, ApplyAction.Created));
                }
                else
                {
                    applied.Add(new AppliedResource(resource.Key, resources[index].SameContentAs(resource) ? ApplyAction.Unchanged : ApplyAction.Configured));
                    resources[index] = resource;
                }
            }

            var touched = parsed.Resources.Select(r => r.Key).ToHashSet();
            if (!commit)
            {
                var messages = Messages(current, resources, touched);
                return new ConfigChangeResult(!messages.Any(m => m.IsError), current.Version, applied, messages);
            }

            return Commit(current, resources, applied, touched);
        }
    }

    /// <summary>Checks <paramref name="resources"/> as a whole and makes them the config, or refuses.</summary>
    private ConfigChangeResult Commit(MeshConfig current, List<ConfigResource> resources, IReadOnlyList<AppliedResource> applied, IReadOnlySet<ResourceKey> touched)
    {
        var messages = Messages(current, resources, touched);
        if (messages.Any(m => m.IsError))
        {
            return Refused(current, messages);
        }

        var changed = resources.Count != current.Resources.Count
            || resources.Zip(current.Resources).Any(p => !ReferenceEquals(p.First, p.Second) && !(p.First.Key == p.Second.Key && p.First.SameContentAs(p.Second)));
        var next = changed ? new MeshConfig(current.Version + 1, resources) : current with { Resources = resources };
        Volatile.Write(ref _current, next);
        if (changed)
        {
            LogChanged(next.Version, resources.Count);
            push.RequestPushNow();
        }

        return new ConfigChangeResult(true, next.Version, applied, messages);
    }

    /// <summary>The problems the change introduces, and the warnings about the resources it touches.</summary>
    private List<ConfigMessage> Messages(MeshConfig current, IReadOnlyList<ConfigResource> resources, IReadOnlySet<ResourceKey> touched)
    {
        var known = knownServices.Current();
        var ports = knownServices.Ports();
        var protocols = knownServices.Protocols();
        var before = ConfigValidator.Validate(current.Resources, known, ports, protocols).ToHashSet();
        return ConfigValidator.Validate(resources, known, ports, protocols)
            .Where(m => m.IsError ? !before.Contains(m) : touched.Contains(new ResourceKey(m.Kind ?? "", m.Namespace ?? "", m.Name ?? "")))
            .ToList();
    }

    private List<ConfigMessage> NewErrors(MeshConfig current, IReadOnlyList<ConfigResource> resources) =>
        Messages(current, resources, new HashSet<ResourceKey>()).Where(m => m.IsError).ToList();

    private static ConfigChangeResult Refused(MeshConfig current, IReadOnlyList<ConfigMessage> messages) =>
        new(false, current.Version, [], messages);

    /// <summary>The source's new resources take the places of its old ones (creation order holds); new ones go last.</summary>
    private static List<ConfigResource> Replace(IReadOnlyList<ConfigResource> current, string source, IReadOnlyList<ConfigResource> incoming, out List<AppliedResource> applied)
    {
        applied = [];
        var pending = incoming.ToList();
        var resources = new List<ConfigResource>();
        foreach (var resource in current)
        {
            if (resource.Source != source)
            {
                resources.Add(resource);
                continue;
            }

            var replacement = pending.FirstOrDefault(r => r.Key == resource.Key);
            if (replacement is not null)
            {
                pending.Remove(replacement);
                resources.Add(replacement);
                applied.Add(new AppliedResource(replacement.Key, resource.SameContentAs(replacement) ? ApplyAction.Unchanged : ApplyAction.Configured));
            }
        }

        resources.AddRange(pending);
        applied.AddRange(pending.Select(r => new AppliedResource(r.Key, ApplyAction.Created)));
        return resources;
    }

    private void RecordSourceOutcome(string source, ConfigChangeResult result)
    {
        if (result.Accepted)
        {
            _rejected.Remove(source);
            return;
        }

        _rejected[source] = new RejectedSource(source, result.Messages);
        foreach (var message in result.Errors)
        {
            LogRefused(source, message.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Config version {Version} is in force ({Count} resources)")]
    private partial void LogChanged(long version, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Config from {Source} refused; its previous content stays in force: {Problem}")]
    private partial void LogRefused(string source, string problem);
}
