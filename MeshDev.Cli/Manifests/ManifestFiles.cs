namespace MeshDev.Cli.Manifests;

/// <summary>Turns -f arguments into files: a file as it is, a folder's *.yaml and *.yml (sorted, not recursive), "-" for stdin.</summary>
public static class ManifestFiles
{
    public const string StdinSource = "stdin";

    public static IReadOnlyList<ManifestFile> Read(IEnumerable<string> arguments, TextReader stdin)
    {
        var files = new List<ManifestFile>();
        foreach (var argument in arguments)
        {
            if (argument == "-")
            {
                files.Add(new ManifestFile(StdinSource, stdin.ReadToEnd()));
            }
            else if (Directory.Exists(argument))
            {
                var entries = Directory.EnumerateFiles(argument)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (entries.Count == 0)
                {
                    throw new MeshctlException($"the folder {argument} has no *.yaml or *.yml file", ExitCodes.UsageOrUnreachable);
                }

                files.AddRange(entries.Select(ReadFile));
            }
            else if (File.Exists(argument))
            {
                files.Add(ReadFile(argument));
            }
            else
            {
                throw new MeshctlException($"the path {argument} does not exist", ExitCodes.UsageOrUnreachable);
            }
        }

        return files;
    }

    private static ManifestFile ReadFile(string path)
    {
        try
        {
            return new ManifestFile(path, File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MeshctlException($"cannot read {path}: {ex.Message}", ExitCodes.UsageOrUnreachable);
        }
    }
}
