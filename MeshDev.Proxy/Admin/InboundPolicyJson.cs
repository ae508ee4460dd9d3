using System.Text.Json;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Inbound;
using MeshDev.Proxy.Identity;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// The inbound security in force, for /config_dump: {"mtlsMode","portMtls":{"9080":"DISABLE"},
/// "authorizationPolicies":[{"name","namespace","action"}],"jwtRules":[{"issuer","source","jwksUri"?,"keys","locations"}]}.
/// Key material is not shown, only how many keys a rule holds (0: its tokens fail).
/// </summary>
public static class InboundPolicyJson
{
    /// <param name="security">The PeerAuthentication modes, as the inbound handshake enforces them.</param>
    public static void Write(Utf8JsonWriter json, InboundPolicy policy, TransportSecurity security)
    {
        json.WriteStartObject("inboundSecurity");
        json.WriteString("mtlsMode", Mode(security.InboundWorkloadMode));
        json.WriteStartObject("portMtls");
        foreach (var (port, mode) in security.InboundPortModes.OrderBy(p => p.Key))
        {
            json.WriteString(port.ToString(System.Globalization.CultureInfo.InvariantCulture), Mode(mode));
        }

        json.WriteEndObject();
        json.WriteStartArray("authorizationPolicies");
        foreach (var authorization in policy.Policies)
        {
            json.WriteStartObject();
            json.WriteString("name", authorization.Name);
            json.WriteString("namespace", authorization.Namespace);
            json.WriteString("action", authorization.Action.ToString().ToUpperInvariant());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("jwtRules");
        foreach (var rule in policy.Jwt.Rules)
        {
            json.WriteStartObject();
            json.WriteString("issuer", rule.Issuer);
            json.WriteString("source", rule.Source);
            if (rule.JwksUri is { } uri)
            {
                json.WriteString("jwksUri", uri);
            }

            json.WriteNumber("keys", rule.KeyCount);
            json.WriteStartArray("locations");
            foreach (var location in rule.Locations)
            {
                json.WriteStringValue(location.ToString());
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Mode(MtlsMode mode) => mode switch
    {
        MtlsMode.Strict => "STRICT",
        MtlsMode.Disable => "DISABLE",
        _ => "PERMISSIVE",
    };
}
