using System.Text.Json.Nodes;
using MeshDev.Core.Config;

namespace MeshDev.Core.Api;

// The JSON shapes of /api/v1/config and /api/v1/analyze (camelCase on the wire); meshctl depends on them.

public sealed record ConfigMessageResponse(
    string Source, int? Line, int? Column, string? Kind, string? Namespace, string? Name, string? Field, string Message, string Severity)
{
    public static ConfigMessageResponse From(ConfigMessage m) =>
        new(m.Source, m.Line, m.Column, m.Kind, m.Namespace, m.Name, m.Field, m.Message, m.IsError ? "error" : "warning");
}

public sealed record ConfigErrorResponse(string Error, IReadOnlyList<ConfigMessageResponse> Messages);

public sealed record AppliedResourceResponse(string Kind, string Namespace, string Name, string Action);

public sealed record ApplyResponse(IReadOnlyList<AppliedResourceResponse> Applied, long ConfigVersion);

public sealed record ResourceKeyResponse(string Kind, string Namespace, string Name);

public sealed record DeleteResponse(ResourceKeyResponse Deleted, long ConfigVersion);

public sealed record ResourceMetadataResponse(string Name, string Namespace, IReadOnlyDictionary<string, string> Labels);

/// <param name="Source">The file or the name (<c>?source=</c>) the resource's text came from.</param>
/// <param name="Origin">"folder" (a file of the watched folder) or "api" (applied through the API and kept in the data folder).</param>
/// <param name="File">The file that keeps the resource: the watched file, or the kept applied-config file.</param>
public sealed record ResourceResponse(string ApiVersion, string Kind, ResourceMetadataResponse Metadata, JsonObject Spec, string Source, string Origin, string? File)
{
    public const string ApiOrigin = "api";
    public const string FolderOrigin = "folder";
}

public sealed record ConfigListResponse(long ConfigVersion, IReadOnlyList<ResourceResponse> Resources);

public sealed record RejectedSourceResponse(string Source, IReadOnlyList<ConfigMessageResponse> Messages);

/// <param name="Status">Problems found while the config is in force (a jwksUri that cannot be fetched), as warnings.</param>
public sealed record ConfigMessagesResponse(IReadOnlyList<RejectedSourceResponse> Rejected, IReadOnlyList<ConfigMessageResponse> Status);

public sealed record AnalyzeResponse(bool Valid, IReadOnlyList<ConfigMessageResponse> Messages);
