namespace MeshDev.ControlPlane.Certificates;

public static class CertificateAuthorityServiceCollectionExtensions
{
    /// <summary>The CA, its trust bundle for snapshots, and its options read from configuration.</summary>
    public static IServiceCollection AddCertificateAuthority(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(CertificateAuthorityOptions.FromConfiguration(configuration));
        services.AddSingleton<CertificateAuthority>();
        services.AddSingleton<ITrustBundle>(sp => sp.GetRequiredService<CertificateAuthority>());
        return services;
    }
}
