using System.Collections.Concurrent;
using MeshDev.Core.Config;

namespace MeshDev.ControlPlane.Config;

/// <summary>
/// Loads every *.yaml / *.yml file of the config folder at start and follows its changes. Each file is one unit:
/// a changed file replaces that file's resources, a deleted file removes them, and a file whose new content is
/// refused keeps its old content in force. Editors save in bursts (truncate, write, rename), so a file is read
/// once it has been quiet for <see cref="Debounce"/>. A ConfigMap mounted as the folder works too.
/// </summary>
public sealed partial class ConfigDirectoryWatcher(ControlPlaneOptions options, IConfigStore store, ILogger<ConfigDirectoryWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private FileSystemWatcher? _watcher;

    /// <summary>
    /// Loads the folder together with the config applied through the API before this start. Called while the app is
    /// built, before any listener or hosted service starts, so no proxy is ever served a snapshot without them.
    /// </summary>
    public void LoadAtStart()
    {
        var folder = options.ConfigDirectory;
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new InvalidOperationException(
                $"Configuration '{Core.MeshEnvironment.ControlPlane.ConfigDirectory}' is '{folder}', which is not a folder; create it or unset the key.");
        }

        // Watching before reading: a file saved while the folder is read is read again, never missed.
        _watcher = folder is null ? null : Watch(folder);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in folder is null ? [] : ConfigFiles(folder))
        {
            if (Read(file, folder!, out var problem) is { } text)
            {
                texts[file] = text;
            }
            else if (problem is not null)
            {
                store.RefuseSource(file, problem);
            }
        }

        store.LoadSources(texts);
        LogLoaded(folder ?? "(none)", store.Current.Resources.Count, store.Current.AppliedFiles.Count, store.Rejected.Count);
    }

    private FileSystemWatcher Watch(string folder)
    {
        var watcher = new FileSystemWatcher(folder)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, e) => Touch(e.FullPath);
        watcher.Created += (_, e) => Touch(e.FullPath);
        watcher.Deleted += (_, e) => Touch(e.FullPath);
        watcher.Renamed += (_, e) =>
        {
            Touch(e.OldFullPath);
            Touch(e.FullPath);
        };
        watcher.Error += (_, e) => LogWatcherError(e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_watcher is null)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(stoppingToken);
                await Task.Delay(Debounce, stoppingToken);
                // Files touched again during the wait are left for the next round, so a burst is read once it is over.
                var now = Environment.TickCount64;
                foreach (var (path, touchedAt) in _pending)
                {
                    if (now - touchedAt >= Debounce.TotalMilliseconds && _pending.TryRemove(KeyValuePair.Create(path, touchedAt)))
                    {
                        Reload(path);
                    }
                }

                if (!_pending.IsEmpty)
                {
                    _signal.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Touch(string path)
    {
        // A Kubernetes ConfigMap volume changes by swapping its ..data symlink: the *.yaml links in the folder stay as
        // they are and raise no event of their own, so a swap means every file may have new content.
        if (Path.GetFileName(path).StartsWith("..", StringComparison.Ordinal) && Path.GetDirectoryName(path) is { } folder)
        {
            foreach (var file in ConfigFiles(folder))
            {
                _pending[file] = Environment.TickCount64;
            }
            _signal.Release();
            return;
        }

        if (IsConfigFile(path))
        {
            _pending[path] = Environment.TickCount64;
            _signal.Release();
        }
    }

    private void Reload(string path)
    {
        string? text = null;
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            text = Read(path, options.ConfigDirectory!, out var problem);
            if (text is null)
            {
                if (problem is not null)
                {
                    store.RefuseSource(path, problem);
                }

                return;
            }
        }

        var result = store.ReplaceSource(path, text);
        if (result.Accepted)
        {
            LogReloaded(path, text is null ? "removed" : "applied", result.ConfigVersion);
        }
    }

    /// <summary>
    /// The file's text, or null: with <paramref name="problem"/> when it is not config the folder may hold (a link out of
    /// the folder, too large, not UTF-8 text), without when it could not be read yet (being written; its next event
    /// brings it back).
    /// </summary>
    private string? Read(string path, string folder, out ConfigMessage? problem)
    {
        problem = null;
        try
        {
            var file = new FileInfo(path);
            if (file.LinkTarget is not null)
            {
                // A ConfigMap's files are links into its ..data folder; a link out of the folder would make the mesh
                // config whatever file it names, so it is not followed.
                var target = file.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
                if (target is null || !Path.GetFullPath(target).StartsWith(root, StringComparison.Ordinal))
                {
                    problem = new ConfigMessage(path, null, null, null, null, null, null,
                        $"is a link to '{file.LinkTarget}', outside the config folder; links are followed only within the folder. Copy the file in instead.");
                    return null;
                }

                file = new FileInfo(target);
            }

            if (file.Length > ConfigText.MaxBytes)
            {
                problem = new ConfigMessage(path, null, null, null, null, null, null,
                    $"is {file.Length} bytes, larger than the limit of {ConfigText.MaxBytes} bytes (4 MiB) for one config file; split it.");
                return null;
            }

            return ConfigText.Decode(File.ReadAllBytes(path), path, out problem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(path, ex.Message);
            return null;
        }
    }

    private static IEnumerable<string> ConfigFiles(string folder) =>
        Directory.EnumerateFiles(folder).Where(IsConfigFile).Order(StringComparer.Ordinal);

    private static bool IsConfigFile(string path) =>
        Path.GetExtension(path) is ".yaml" or ".yml" && !Path.GetFileName(path).StartsWith('.');

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded config folder {Folder} and the applied config: {Count} resources in force ({Applied} applied through the API), {Rejected} files refused")]
    private partial void LogLoaded(string folder, int count, int applied, int rejected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Config file {Path} {What}; config version {Version}")]
    private partial void LogReloaded(string path, string what, long version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Config file {Path} could not be read yet: {Reason}")]
    private partial void LogUnreadable(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching the config folder failed: {Reason}")]
    private partial void LogWatcherError(string reason);
}
