using System.Text.Json.Nodes;

namespace MeshDev.Core.Config.Security;

// Istio's RequestAuthentication (security.istio.io), field for field as Istio names them.

public sealed class RequestAuthenticationSpec
{
    public WorkloadSelectorSpec? Selector { get; init; }
    public JsonNode? TargetRef { get; init; }
    public JsonNode? TargetRefs { get; init; }
    public IReadOnlyList<JwtRuleSpec> JwtRules { get; init; } = [];

    internal static RequestAuthenticationSpec Read(YamlSpecReader r) => new()
    {
        Selector = r.Object("selector", WorkloadSelectorSpec.Read),
        TargetRef = r.Raw("targetRef"),
        TargetRefs = r.Raw("targetRefs"),
        JwtRules = r.List("jwtRules", JwtRuleSpec.Read),
    };
}

public sealed class JwtRuleSpec
{
    public string? Issuer { get; init; }
    public IReadOnlyList<string> Audiences { get; init; } = [];
    public string? JwksUri { get; init; }
    public string? Jwks { get; init; }
    public IReadOnlyList<JwtHeaderSpec> FromHeaders { get; init; } = [];
    public IReadOnlyList<string> FromParams { get; init; } = [];
    public IReadOnlyList<string> FromCookies { get; init; } = [];
    public bool? ForwardOriginalToken { get; init; }
    public string? OutputPayloadToHeader { get; init; }
    public JsonNode? OutputClaimToHeaders { get; init; }
    /// <summary>How long the control plane waits for jwksUri.</summary>
    public TimeSpan? Timeout { get; init; }

    internal static JwtRuleSpec Read(YamlSpecReader r) => new()
    {
        Issuer = r.String("issuer"),
        Audiences = r.StringList("audiences"),
        JwksUri = r.String("jwksUri"),
        Jwks = r.String("jwks"),
        FromHeaders = r.List("fromHeaders", JwtHeaderSpec.Read),
        FromParams = r.StringList("fromParams"),
        FromCookies = r.StringList("fromCookies"),
        ForwardOriginalToken = r.Bool("forwardOriginalToken"),
        OutputPayloadToHeader = r.String("outputPayloadToHeader"),
        OutputClaimToHeaders = r.Raw("outputClaimToHeaders"),
        Timeout = r.Duration("timeout"),
    };
}

public sealed class JwtHeaderSpec
{
    public string? Name { get; init; }
    public string? Prefix { get; init; }

    internal static JwtHeaderSpec Read(YamlSpecReader r) => new() { Name = r.String("name"), Prefix = r.String("prefix") };
}
