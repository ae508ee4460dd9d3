using System.Globalization;
using System.Text.Json.Serialization;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Identity;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// The inbound security in force, for /config_dump: {"mtlsMode","portMtls":{"9080":"DISABLE"},
/// "authorizationPolicies":[{"name","namespace","action"}],"jwtRules":[{"issuer","source","jwksUri"?,"keys","locations"}]}.
/// Key material is not shown, only how many keys a rule holds (0: its tokens fail).
/// </summary>
public sealed record InboundPolicyJson(
    string MtlsMode,
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> PortMtls,
    IReadOnlyList<AuthorizationPolicyJson> AuthorizationPolicies,
    IReadOnlyList<JwtRuleJson> JwtRules)
{
    /// <param name="security">The PeerAuthentication modes, as the inbound handshake enforces them.</param>
    public static InboundPolicyJson From(InboundPolicy policy, TransportSecurity security) => new(
        TransportSecurityJson.Mode(security.InboundWorkloadMode),
        new(security.InboundPortModes.OrderBy(p => p.Key)
            .Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), TransportSecurityJson.Mode(p.Value)))),
        [.. policy.Policies.Select(a => new AuthorizationPolicyJson(a.Name, a.Namespace, a.Action.ToString().ToUpperInvariant()))],
        [.. policy.Jwt.Rules.Select(r => new JwtRuleJson(r.Issuer, r.Source, r.JwksUri, r.KeyCount, [.. r.Locations.Select(l => l.ToString())]))]);
}

public sealed record AuthorizationPolicyJson(string Name, string Namespace, string Action);

public sealed record JwtRuleJson(
    string Issuer,
    string Source,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? JwksUri,
    int Keys,
    IReadOnlyList<string> Locations);
