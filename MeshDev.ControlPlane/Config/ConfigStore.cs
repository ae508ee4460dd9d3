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

    /// <summary>
    /// Records that <paramref name="source"/> (a watched file) could not be read as config; its previous content stays in force.
    /// </summary>
    void RefuseSource(string source, ConfigMessage problem)
    {
    }

    /// <summary>
    /// Loads the config at start: the watched folder's files given here together with the config kept from earlier API
    /// applies; a source that cannot be accepted is left out and listed as rejected.
    /// </summary>
    void LoadSources(IReadOnlyDictionary<string, string> sources);
}

/// <summary>
/// Holds the Istio resources in force. Every change is checked as the whole config it would produce (all or
/// nothing); an accepted change bumps the version and is published on the <see cref="MeshChangeSignal"/>. Only problems a change introduces refuse
/// it: a problem the config already had (a registered service went away) does not block unrelated changes.
/// Every resource applied through the API is written to the applied folder before it is in force, and removed from
/// it before its delete is; a change that cannot be written is refused whole.
/// </summary>
public sealed partial class ConfigStore(KnownServices knownServices, MeshChangeSignal changes, ILogger<ConfigStore> logger, AppliedConfigFolder? appliedFolder = null) : IConfigStore
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

            return Commit(current, current.Resources.Where(r => r.Key != key).ToList(), [], touched: new HashSet<ResourceKey>(),
                persist: () => RemoveApplied(current, key));
        }
    }

    public ConfigChangeResult ReplaceSource(string source, string? yaml)
    {
        var parsed = yaml is null ? new ConfigParseResult([], []) : ConfigParser.Parse(yaml, source);
        lock (_lock)
        {
            var current = _current;
            // A saved file is the newer word on a resource applied through the API: the file takes it over and its kept
            // copy goes, so exporting the applied config into the folder moves it there.
            var takenOver = parsed.Resources.Select(r => r.Key)
                .Where(k => current.AppliedFiles.ContainsKey(k) && current.Find(k)?.Source != source).ToHashSet();
            var others = current.Resources.Where(r => !takenOver.Contains(r.Key)).ToList();
            ConfigChangeResult result;
            try
            {
                result = parsed.HasErrors
                    ? Refused(current, parsed.Messages)
                    : Commit(current, Replace(others, source, parsed.Resources, out var applied), applied, parsed.Resources.Select(r => r.Key).ToHashSet(),
                        persist: takenOver.Count == 0 ? null : () => takenOver.Aggregate(current.AppliedFiles, (files, key) => RemoveApplied(current with { AppliedFiles = files }, key)));
            }
            catch (ConfigPersistenceException ex)
            {
                result = Refused(current, [new ConfigMessage(source, null, null, null, null, null, null, $"not taken over from the applied config: {ex.Message}")]);
            }

            RecordSourceOutcome(source, result);
            if (takenOver.Count > 0 && result.Accepted)
            {
                LogTakenOver(source, string.Join(", ", takenOver));
            }

            return result;
        }
    }

    public void RefuseSource(string source, ConfigMessage problem)
    {
        lock (_lock)
        {
            RecordSourceOutcome(source, Refused(_current, [problem]));
        }
    }

    public void LoadSources(IReadOnlyDictionary<string, string> sources)
    {
        var parsed = new List<(string Source, ConfigParseResult Result)>();
        var appliedFiles = new Dictionary<ResourceKey, string>();
        lock (_lock)
        {
            foreach (var file in appliedFolder?.ReadAll() ?? [])
            {
                if (ReadAppliedFile(file) is { } result)
                {
                    parsed.Add((file.Path, result));
                    appliedFiles[result.Resources[0].Key] = file.Path;
                }
            }
        }

        // An API apply takes the place of a folder resource with the same key, as it did before the restart.
        var watched = sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s =>
        {
            var result = ConfigParser.Parse(s.Value, s.Key);
            var shadowed = result.Resources.Where(r => appliedFiles.ContainsKey(r.Key)).ToList();
            shadowed.ForEach(r => LogShadowed(r.Key.ToString(), s.Key, appliedFiles[r.Key]));
            return (s.Key, shadowed.Count == 0 ? result : result with { Resources = result.Resources.Except(shadowed).ToList() });
        });
        Load([.. watched, .. parsed], appliedFiles);
    }

    /// <summary>A kept file's single resource, or null (and the file listed as refused, by name, with the reason).</summary>
    private ConfigParseResult? ReadAppliedFile(AppliedConfigFile file)
    {
        if (file.Text is null)
        {
            RecordSourceOutcome(file.Path, Refused(_current, [new ConfigMessage(file.Path, null, null, null, null, null, null, $"kept applied config {file.Problem}")]));
            return null;
        }

        var result = ConfigParser.Parse(file.Text, file.Path);
        if (result.HasErrors)
        {
            RecordSourceOutcome(file.Path, Refused(_current, result.Messages));
            return null;
        }

        var expected = result.Resources.Count == 1 ? appliedFolder!.PathOf(result.Resources[0].Key) : null;
        if (expected != file.Path)
        {
            var held = result.Resources.Count == 0 ? "no resource" : string.Join(", ", result.Resources.Select(r => r.Key));
            RecordSourceOutcome(file.Path, Refused(_current, [new ConfigMessage(file.Path, 1, 1, null, null, null, null,
                $"a kept applied-config file holds exactly one resource and is named after it; this one holds {held}. " +
                "Re-apply what it should hold, or delete the file.")]));
            return null;
        }

        return result;
    }

    private void Load(IReadOnlyList<(string Source, ConfigParseResult Result)> sources, IReadOnlyDictionary<ResourceKey, string> appliedFiles)
    {
        var parsed = sources.ToDictionary(s => s.Source, s => s.Result, StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var (source, result) in sources.Where(p => p.Result.HasErrors))
            {
                RecordSourceOutcome(source, Refused(_current, result.Messages));
            }

            // Leave out the files the problems point at until the rest is valid together.
            var candidates = sources.Where(p => !p.Result.HasErrors).Select(p => p.Source).ToList();
            while (candidates.Count > 0)
            {
                var resources = _current.Resources.Concat(candidates.SelectMany(s => parsed[s].Resources)).ToList();
                var errors = NewErrors(_current, resources);
                if (errors.Count == 0)
                {
                    var kept = appliedFiles.Where(f => candidates.Contains(f.Value)).ToDictionary();
                    var result = Commit(_current, resources, candidates.SelectMany(s => parsed[s].Resources)
                        .Select(r => new AppliedResource(r.Key, ApplyAction.Created)).ToList(), touched: new HashSet<ResourceKey>(),
                        persist: () => _current.AppliedFiles.Concat(kept).ToDictionary());
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

            return Commit(current, resources, applied, touched, persist: () => WriteApplied(current, parsed.Resources, source));
        }
    }

    /// <summary>Checks <paramref name="resources"/> as a whole and makes them the config, or refuses.</summary>
    /// <param name="persist">Makes the change durable once it is valid, before it is in force, and returns the applied files
    /// it leaves; it throws <see cref="ConfigPersistenceException"/> when it cannot, and the config stays as it was.</param>
    private ConfigChangeResult Commit(MeshConfig current, List<ConfigResource> resources, IReadOnlyList<AppliedResource> applied,
        IReadOnlySet<ResourceKey> touched, Func<IReadOnlyDictionary<ResourceKey, string>>? persist = null)
    {
        var messages = Messages(current, resources, touched);
        if (messages.Any(m => m.IsError))
        {
            return Refused(current, messages);
        }

        var appliedFiles = persist?.Invoke() ?? current.AppliedFiles;

        var changed = resources.Count != current.Resources.Count
            || resources.Zip(current.Resources).Any(p => !ReferenceEquals(p.First, p.Second) && !(p.First.Key == p.Second.Key && p.First.SameContentAs(p.Second)));
        var next = changed
            ? new MeshConfig(current.Version + 1, resources) { AppliedFiles = appliedFiles }
            : current with { Resources = resources, AppliedFiles = appliedFiles };
        Volatile.Write(ref _current, next);
        if (changed)
        {
            LogChanged(next.Version, resources.Count);
            changes.Publish(MeshChangeKind.Config);
        }

        return new ConfigChangeResult(true, next.Version, applied, messages);
    }

    /// <summary>Writes every resource of an API apply to its file; on failure puts back what was there and rethrows.</summary>
    private IReadOnlyDictionary<ResourceKey, string> WriteApplied(MeshConfig current, IReadOnlyList<ConfigResource> incoming, string source)
    {
        var files = current.AppliedFiles.ToDictionary();
        if (appliedFolder is null)
        {
            return files;
        }

        try
        {
            foreach (var (key, path) in appliedFolder.WriteAll(incoming, source))
            {
                files[key] = path;
                _rejected.Remove(path);
            }
        }
        catch (ConfigPersistenceException ex) when (ex.FolderChanged)
        {
            // Some files were already replaced: the disk goes back to what the config in force says.
            try
            {
                foreach (var resource in incoming)
                {
                    if (current.AppliedFiles.ContainsKey(resource.Key) && current.Find(resource.Key) is { } previous)
                    {
                        appliedFolder.WriteAll([previous], previous.Source);
                    }
                    else
                    {
                        appliedFolder.Remove(resource.Key);
                    }
                }
            }
            catch (ConfigPersistenceException undo)
            {
                LogUndoFailed(undo.Message);
            }

            throw;
        }

        return files;
    }

    private IReadOnlyDictionary<ResourceKey, string> RemoveApplied(MeshConfig current, ResourceKey key)
    {
        if (appliedFolder is null || !current.AppliedFiles.ContainsKey(key))
        {
            return current.AppliedFiles;
        }

        appliedFolder.Remove(key);
        return current.AppliedFiles.Where(f => f.Key != key).ToDictionary();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "{Resource} in {Source} is left out at start: the one applied through the API ({File}) takes its place")]
    private partial void LogShadowed(string resource, string source, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Source} takes over {Resources} from the config applied through the API; their kept files are removed")]
    private partial void LogTakenOver(string source, string resources);

    [LoggerMessage(Level = LogLevel.Error, Message = "Putting the applied-config folder back after a failed write failed too; check it before restarting: {Problem}")]
    private partial void LogUndoFailed(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Config from {Source} refused; its previous content stays in force: {Problem}")]
    private partial void LogRefused(string source, string problem);
}
