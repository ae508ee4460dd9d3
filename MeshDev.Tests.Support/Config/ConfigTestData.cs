using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

public static class ConfigTestData
{
    public static readonly IReadOnlySet<string> BookinfoServices = new HashSet<string> { "productpage", "details", "reviews", "ratings" };

    /// <summary>Istio's Bookinfo networking files, unmodified, as the repository carries them.</summary>
    public static string BookinfoFolder => Path.Combine(Repository.Root(), "samples", "Bookinfo", "networking");

    public static string BookinfoFile(string name) => Path.Combine(BookinfoFolder, name);

    public static IReadOnlyList<ConfigResource> ParseClean(params string[] files)
    {
        var resources = new List<ConfigResource>();
        foreach (var file in files)
        {
            var result = ConfigParser.Parse(File.ReadAllText(BookinfoFile(file)), file);
            Assert.False(result.HasErrors, string.Join("\n", result.Messages));
            resources.AddRange(result.Resources);
        }

        return resources;
    }
}
