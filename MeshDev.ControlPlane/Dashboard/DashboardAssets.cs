using System.Collections.Frozen;

namespace MeshDev.ControlPlane.Dashboard;

public sealed record DashboardAsset(byte[] Content, string ContentType);

/// <summary>The dashboard's files, read once from the assembly's resources (Dashboard/wwwroot in the source).</summary>
public static class DashboardAssets
{
    private const string Prefix = "MeshDev.ControlPlane.Dashboard.wwwroot.";

    private static readonly Lazy<FrozenDictionary<string, DashboardAsset>> Assets = new(Load);

    /// <summary>The file of that exact name; only the embedded files are served, so no path reaches the disk.</summary>
    public static DashboardAsset? Find(string file) => Assets.Value.GetValueOrDefault(file);

    private static FrozenDictionary<string, DashboardAsset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name[Prefix.Length..];
            assets[file] = new DashboardAsset(buffer.ToArray(), ContentTypeOf(file));
        }

        return assets.Count > 0
            ? assets.ToFrozenDictionary(StringComparer.Ordinal)
            : throw new InvalidOperationException("The dashboard's files are missing from the assembly's resources.");
    }

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
