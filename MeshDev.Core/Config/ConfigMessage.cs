namespace MeshDev.Core.Config;

public enum ConfigSeverity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in config, located as precisely as the input allows: the source (file path or "api"),
/// the line and column, the resource and the field path (e.g. spec.http[0].route[1].weight).
/// </summary>
public sealed record ConfigMessage(
    string Source,
    int? Line,
    int? Column,
    string? Kind,
    string? Namespace,
    string? Name,
    string? Field,
    string Message,
    ConfigSeverity Severity = ConfigSeverity.Error)
{
    public bool IsError => Severity == ConfigSeverity.Error;

    /// <summary>"file.yaml:12:7 VirtualService default/reviews spec.http[0].route[1].weight: message".</summary>
    public override string ToString()
    {
        var where = Line is null ? Source : Column is null ? $"{Source}:{Line}" : $"{Source}:{Line}:{Column}";
        var resource = Kind is null ? "" : $" {Kind} {Namespace}/{Name}";
        var field = Field is null ? "" : $" {Field}";
        return $"{where}{resource}{field}: {(IsError ? "" : "warning: ")}{Message}";
    }
}
