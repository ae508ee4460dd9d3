using System.Text;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// A pod's volumes as files on this machine, bind-mounted into its containers the way the kubelet mounts them:
/// a ConfigMap or Secret volume is a folder whose entries are symlinks through <c>..data</c> to a timestamped folder
/// holding the files (what lets the kubelet swap the content atomically), with the volume's or item's file mode;
/// an emptyDir is an empty folder every container of the pod may write.
/// </summary>
public sealed class PodVolumes : IDisposable
{
    private readonly string _root;
    private readonly Dictionary<string, string> _folders = new(StringComparer.Ordinal);

    private PodVolumes(string root) => _root = root;

    public static PodVolumes Materialize(V1PodSpec spec, PodIdentity pod, ClusterObjects objects)
    {
        var volumes = new PodVolumes(Directory.CreateTempSubdirectory($"meshdev-pod-{pod.Name}-").FullName);
        SetMode(volumes._root, 0b111_101_101);
        try
        {
            foreach (var volume in spec.Volumes ?? [])
            {
                var folder = Path.Combine(volumes._root, volume.Name);
                volumes._folders[volume.Name] = folder;
                if (volume.ConfigMap is { } configMapSource)
                {
                    var configMap = objects.ConfigMap(pod.Namespace, configMapSource.Name);
                    if (configMap is null && configMapSource.Optional != true)
                    {
                        throw new PodSpecRefusedException(pod, null, $"volume {volume.Name}: configmap \"{configMapSource.Name}\" not found");
                    }
                    var data = (configMap?.Data ?? new Dictionary<string, string>()).ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value));
                    foreach (var (key, value) in configMap?.BinaryData ?? new Dictionary<string, byte[]>())
                    {
                        data[key] = value;
                    }
                    WriteAtomicFolder(folder, Project(data, configMapSource.Items, volume.Name, pod), configMapSource.DefaultMode ?? 0b110_100_100);
                }
                else if (volume.Secret is { } secretSource)
                {
                    var secret = objects.Secret(pod.Namespace, secretSource.SecretName);
                    if (secret is null && secretSource.Optional != true)
                    {
                        throw new PodSpecRefusedException(pod, null, $"volume {volume.Name}: secret \"{secretSource.SecretName}\" not found");
                    }
                    var data = secret is null ? new Dictionary<string, byte[]>() : ClusterObjects.SecretData(secret).ToDictionary();
                    WriteAtomicFolder(folder, Project(data, secretSource.Items, volume.Name, pod), secretSource.DefaultMode ?? 0b110_100_100);
                }
                else if (volume.EmptyDir is not null)
                {
                    Directory.CreateDirectory(folder);
                    SetMode(folder, 0b111_111_111);
                }
                else
                {
                    throw new PodSpecRefusedException(pod, null,
                        $"volume {volume.Name}: only configMap, secret and emptyDir volumes are run by this kubelet stand-in");
                }
            }
            return volumes;
        }
        catch
        {
            volumes.Dispose();
            throw;
        }
    }

    /// <summary>The host path to bind-mount for a container's volume mount (a subPath resolved to its file).</summary>
    public string HostPath(V1VolumeMount mount, PodIdentity pod, V1Container container)
    {
        if (!_folders.TryGetValue(mount.Name, out var folder))
        {
            throw new PodSpecRefusedException(pod, container, $"volumeMount {mount.MountPath}: no volume named \"{mount.Name}\" in the pod");
        }
        if (string.IsNullOrEmpty(mount.SubPath))
        {
            return folder;
        }
        var path = Path.GetFullPath(Path.Combine(folder, mount.SubPath));
        if (!path.StartsWith(folder + "/", StringComparison.Ordinal))
        {
            throw new PodSpecRefusedException(pod, container, $"volumeMount {mount.MountPath}: subPath \"{mount.SubPath}\" leaves the volume");
        }
        // The kubelet mounts what a subPath resolves to (so it never sees later updates); so does this.
        var resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            Directory.CreateDirectory(resolved);
        }
        return resolved;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file a container still holds open; the temp folder is reclaimed with the machine.
        }
    }

    private static IReadOnlyList<(string Path, byte[] Content, int? Mode)> Project(
        IReadOnlyDictionary<string, byte[]> data, IList<V1KeyToPath>? items, string volume, PodIdentity pod)
    {
        if (items is null || items.Count == 0)
        {
            return data.Select(e => (e.Key, e.Value, (int?)null)).ToList();
        }
        return items.Select(item => data.TryGetValue(item.Key, out var content)
            ? (item.Path, content, item.Mode)
            : throw new PodSpecRefusedException(pod, null, $"volume {volume}: key \"{item.Key}\" listed in items is not in the object")).ToList();
    }

    private static void WriteAtomicFolder(string folder, IReadOnlyList<(string Path, byte[] Content, int? Mode)> files, int defaultMode)
    {
        var timestamped = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}";
        var dataFolder = Path.Combine(folder, timestamped);
        Directory.CreateDirectory(dataFolder);
        foreach (var (relative, content, mode) in files)
        {
            var target = Path.Combine(dataFolder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, content);
            SetMode(target, mode ?? defaultMode);
        }
        File.CreateSymbolicLink(Path.Combine(folder, "..data"), timestamped);
        foreach (var top in files.Select(f => f.Path.Split('/')[0]).Distinct())
        {
            File.CreateSymbolicLink(Path.Combine(folder, top), Path.Combine("..data", top));
        }
    }

    private static void SetMode(string path, int mode)
    {
        // Pods run Linux containers; a Windows host has no Unix modes to set (nor a Docker engine for them).
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
    }
}
