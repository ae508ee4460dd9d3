namespace MeshDev.Cli.Output;

public enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

public static class OutputFormats
{
    public static readonly string[] Names = ["table", "json", "yaml"];

    public static OutputFormat Parse(string? name) => name?.ToLowerInvariant() switch
    {
        null or "table" => OutputFormat.Table,
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        _ => throw new MeshctlException($"unknown output format '{name}'; use table, json or yaml", ExitCodes.UsageOrUnreachable),
    };
}
