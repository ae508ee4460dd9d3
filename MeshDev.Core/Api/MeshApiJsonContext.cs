using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshDev.Core.Api;

/// <summary>
/// The control plane's /api/v1 shapes for System.Text.Json's source generator, with the web defaults the API writes
/// (camelCase names): meshctl and the hosting library read the API's answers typed through it, without reflection.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ServiceResponse[]))]
[JsonSerializable(typeof(ProxyResponse))]
[JsonSerializable(typeof(ProxyResponse[]))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ConfigErrorResponse))]
[JsonSerializable(typeof(ConfigMessageResponse))]
[JsonSerializable(typeof(ApplyResponse))]
[JsonSerializable(typeof(DeleteResponse))]
[JsonSerializable(typeof(ResourceResponse))]
[JsonSerializable(typeof(ConfigListResponse))]
[JsonSerializable(typeof(ConfigMessagesResponse))]
[JsonSerializable(typeof(AnalyzeResponse))]
[JsonSerializable(typeof(TopologyResponse))]
[JsonSerializable(typeof(CaResponse))]
[JsonSerializable(typeof(IssuedCertificateResponse[]))]
public sealed partial class MeshApiJsonContext : JsonSerializerContext;
