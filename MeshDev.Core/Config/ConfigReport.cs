namespace MeshDev.Core.Config;

/// <summary>
/// What one validation run has found, each message located at its field's line and column in the resource's source.
/// The networking and the security checks write into the same report, so their messages read alike.
/// </summary>
internal sealed class ConfigReport
{
    private readonly List<ConfigMessage> _messages = [];

    public IReadOnlyList<ConfigMessage> Messages => _messages;

    public void Error(ConfigResource resource, string field, string message) => Add(resource, field, message, ConfigSeverity.Error);

    public void Warning(ConfigResource resource, string field, string message) => Add(resource, field, message, ConfigSeverity.Warning);

    /// <summary>A field MeshDev refuses rather than ignores.</summary>
    public void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        Error(resource, field, $"{what} is {ConfigValidator.NotSupported}; remove {field}{(instead is null ? "" : $" ({instead})")}.");

    private void Add(ConfigResource resource, string field, string message, ConfigSeverity severity)
    {
        var (line, column) = resource.Locate(field);
        _messages.Add(new ConfigMessage(resource.Source, line, column, resource.Kind, resource.Metadata.Namespace, resource.Metadata.Name,
            field, message, severity));
    }
}
