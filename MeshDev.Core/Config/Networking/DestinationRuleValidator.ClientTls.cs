namespace MeshDev.Core.Config.Networking;

internal sealed partial class DestinationRuleValidator
{
    /// <summary>
    /// DestinationRule trafficPolicy.tls: DISABLE (plaintext to the service) and ISTIO_MUTUAL (the mesh's own
    /// certificates) are carried out; SIMPLE and MUTUAL, which name certificates of their own, are not yet.
    /// </summary>
    private void CheckClientTls(DestinationRuleResource dr, ClientTlsSettingsSpec tls, string path, bool clusterLevel)
    {
        if (!clusterLevel)
        {
            Unsupported(dr, path, "tls on a subset", "set it at spec.trafficPolicy.tls; it applies to every subset");
            return;
        }

        switch (tls.Mode)
        {
            case null or ClientTlsSettingsSpec.Disable or ClientTlsSettingsSpec.IstioMutual:
                break;
            case ClientTlsSettingsSpec.Simple or ClientTlsSettingsSpec.Mutual:
                Unsupported(dr, $"{path}.mode", $"mode {tls.Mode} (TLS with certificates of your own)",
                    "use ISTIO_MUTUAL for the mesh's certificates, or DISABLE");
                return;
            default:
                Error(dr, $"{path}.mode", $"mode '{tls.Mode}' is unknown; give one of: {string.Join(", ", ClientTlsSettingsSpec.Modes)}.");
                return;
        }

        // With ISTIO_MUTUAL or DISABLE, Istio takes the certificates from the mesh (or uses none): these fields say otherwise.
        (string Field, bool Set)[] ownCertificates =
        [
            ("clientCertificate", tls.ClientCertificate is not null),
            ("privateKey", tls.PrivateKey is not null),
            ("caCertificates", tls.CaCertificates is not null),
            ("credentialName", tls.CredentialName is not null),
            ("caCrl", tls.CaCrl is not null),
            ("insecureSkipVerify", tls.InsecureSkipVerify is not null),
            ("subjectAltNames", tls.SubjectAltNames.Count > 0),
            ("sni", tls.Sni is not null),
        ];
        foreach (var (field, _) in ownCertificates.Where(f => f.Set))
        {
            Unsupported(dr, $"{path}.{field}", $"{field} with mode {tls.EffectiveMode}",
                "MeshDev checks the peer's SPIFFE ID from the mesh's registry");
        }
    }
}
