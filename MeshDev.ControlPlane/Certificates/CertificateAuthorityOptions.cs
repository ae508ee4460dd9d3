using MeshDev.Core;
using MeshDev.Core.Identity;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>The certificate authority's settings, read once at startup with errors that name the key.</summary>
public sealed class CertificateAuthorityOptions
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);
    // Short enough for fault drills that rotate certificates every few seconds; proxies renew at half of it.
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Folder that holds the generated root (<c>ca/root-cert.pem</c>, <c>ca/root-key.pem</c>).</summary>
    public required string DataDirectory { get; init; }

    public string TrustDomain { get; init; } = MeshEnvironment.DefaultTrustDomain;

    /// <summary>Lifetime of a workload certificate when the proxy asks for none, and the longest it gets.</summary>
    public TimeSpan Lifetime { get; init; } = DefaultLifetime;

    /// <summary>A user-supplied CA certificate (PEM); null: the control plane's own root.</summary>
    public string? CaCertificatePath { get; init; }

    public string? CaKeyPath { get; init; }

    /// <summary>The key bootstrap tokens are checked with; null when none is configured (every CSR is then refused).</summary>
    public string? BootstrapKey { get; init; }

    /// <summary>The per-user folder a standalone control plane keeps its root in; the AppHost always sets its own folder.</summary>
    public static string DefaultDataDirectory() => ControlPlaneOptions.DefaultDataDirectory();

    public static CertificateAuthorityOptions FromConfiguration(IConfiguration configuration)
    {
        var lifetime = ControlPlaneOptions.ReadDuration(configuration, MeshEnvironment.ControlPlane.CertificateLifetime, DefaultLifetime);
        if (lifetime < MinimumLifetime)
        {
            throw new InvalidOperationException(
                $"Configuration '{MeshEnvironment.ControlPlane.CertificateLifetime}' is '{configuration[MeshEnvironment.ControlPlane.CertificateLifetime]}'; " +
                "a workload certificate lives at least five seconds (proxies renew at half of the lifetime).");
        }

        var trustDomain = Trimmed(configuration, MeshEnvironment.ControlPlane.TrustDomain) ?? MeshEnvironment.DefaultTrustDomain;
        if (!SpiffeId.TryParse($"{SpiffeId.Scheme}{trustDomain}/ns/x/sa/x", out var probe) || probe.TrustDomain != trustDomain)
        {
            throw new InvalidOperationException(
                $"Configuration '{MeshEnvironment.ControlPlane.TrustDomain}' is '{trustDomain}'; expected a trust domain such as 'cluster.local' (no '/').");
        }

        var certificatePath = Trimmed(configuration, MeshEnvironment.ControlPlane.CaCertificatePath);
        var keyPath = Trimmed(configuration, MeshEnvironment.ControlPlane.CaKeyPath);
        if ((certificatePath is null) != (keyPath is null))
        {
            var (set, missing) = certificatePath is null
                ? (MeshEnvironment.ControlPlane.CaKeyPath, MeshEnvironment.ControlPlane.CaCertificatePath)
                : (MeshEnvironment.ControlPlane.CaCertificatePath, MeshEnvironment.ControlPlane.CaKeyPath);
            throw new InvalidOperationException(
                $"Configuration '{set}' is set but '{missing}' is not; a user-supplied CA needs both its certificate and its private key.");
        }

        var bootstrapKey = configuration[MeshEnvironment.ControlPlane.BootstrapKey];
        if (!string.IsNullOrEmpty(bootstrapKey) && bootstrapKey.Length < BootstrapToken.MinimumKeyLength)
        {
            // The value itself is a secret: only its length is named.
            throw new InvalidOperationException(
                $"Configuration '{MeshEnvironment.ControlPlane.BootstrapKey}' has {bootstrapKey.Length} characters; it needs at least {BootstrapToken.MinimumKeyLength}.");
        }

        return new CertificateAuthorityOptions
        {
            DataDirectory = ControlPlaneOptions.ReadDataDirectory(configuration),
            TrustDomain = trustDomain,
            Lifetime = lifetime,
            CaCertificatePath = certificatePath is null ? null : Path.GetFullPath(certificatePath),
            CaKeyPath = keyPath is null ? null : Path.GetFullPath(keyPath),
            BootstrapKey = string.IsNullOrEmpty(bootstrapKey) ? null : bootstrapKey,
        };
    }

    private static string? Trimmed(IConfiguration configuration, string key) =>
        configuration[key] is { } value && value.Trim() is { Length: > 0 } trimmed ? trimmed : null;
}
