using Aspire.Hosting;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>The Istio YAML files of the mesh config folder, read as bytes so that they travel unchanged.</summary>
internal static class MeshConfigFolder
{
    public static IReadOnlyList<MeshConfigFile> Read(string? configDirectory, string baseDirectory)
    {
        if (configDirectory is null)
        {
            return [];
        }
        var fullPath = Path.GetFullPath(configDirectory, baseDirectory);
        if (!Directory.Exists(fullPath))
        {
            throw new DistributedApplicationException($"The mesh config directory '{configDirectory}' does not exist (looked at {fullPath}).");
        }
        return Directory.EnumerateFiles(fullPath)
            // The files the control plane loads from the folder, and no others.
            .Where(file => Path.GetExtension(file) is ".yaml" or ".yml" && !Path.GetFileName(file).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(file => new MeshConfigFile(Path.GetFileName(file), File.ReadAllBytes(file)))
            .ToList();
    }
}
