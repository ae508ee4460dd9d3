using System.Text.Json.Nodes;

namespace MeshDev.Core.Config;

/// <summary>Istio's ClientTLSSettings (DestinationRule trafficPolicy.tls), field for field as Istio names them.</summary>
public sealed class ClientTlsSettingsSpec
{
    public const string Disable = "DISABLE";
    public const string Simple = "SIMPLE";
    public const string Mutual = "MUTUAL";
    public const string IstioMutual = "ISTIO_MUTUAL";

    public static readonly IReadOnlyList<string> Modes = [Disable, Simple, Mutual, IstioMutual];

    /// <summary>DISABLE when left out, as in Istio (its enum's zero value).</summary>
    public string? Mode { get; init; }
    public string? ClientCertificate { get; init; }
    public string? PrivateKey { get; init; }
    public string? CaCertificates { get; init; }
    public string? CredentialName { get; init; }
    public IReadOnlyList<string> SubjectAltNames { get; init; } = [];
    public string? Sni { get; init; }
    public JsonNode? InsecureSkipVerify { get; init; }
    public string? CaCrl { get; init; }

    /// <summary>The mode in force: <see cref="Mode"/>, or DISABLE when it is left out.</summary>
    public string EffectiveMode => Mode ?? Disable;

    internal static ClientTlsSettingsSpec Read(YamlSpecReader r) => new()
    {
        Mode = r.String("mode"),
        ClientCertificate = r.String("clientCertificate"),
        PrivateKey = r.String("privateKey"),
        CaCertificates = r.String("caCertificates"),
        CredentialName = r.String("credentialName"),
        SubjectAltNames = r.StringList("subjectAltNames"),
        Sni = r.String("sni"),
        InsecureSkipVerify = r.Raw("insecureSkipVerify"),
        CaCrl = r.String("caCrl"),
    };
}
