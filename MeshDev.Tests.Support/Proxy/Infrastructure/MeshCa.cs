using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MeshDev.Core;
using MeshDev.Core.Identity;
using MeshDev.Tests.ControlPlane;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// The real control plane with its real certificate authority, in this process, as the AppHost runs it: a fresh data
/// folder (where the CA makes its root), a bootstrap key of this run, and a token per proxy for its own identity,
/// minted with <see cref="BootstrapToken.Mint"/> exactly as the hosting integration does.
/// </summary>
public sealed class MeshCa : IAsyncDisposable
{
    private readonly string _bootstrapKey;

    private MeshCa(ControlPlaneHost controlPlane, string bootstrapKey)
    {
        ControlPlane = controlPlane;
        _bootstrapKey = bootstrapKey;
    }

    public ControlPlaneHost ControlPlane { get; }

    /// <param name="certificateLifetime">Mesh:ControlPlane:Certificates:Lifetime; null: the CA's default (24 h).</param>
    public static async Task<MeshCa> StartAsync(TimeSpan? certificateLifetime = null)
    {
        var bootstrapKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        string[] args =
        [
            $"--{MeshEnvironment.ControlPlane.BootstrapKey}={bootstrapKey}",
            .. certificateLifetime is { } lifetime ? [$"--{MeshEnvironment.ControlPlane.CertificateLifetime}={lifetime:c}"] : Array.Empty<string>(),
        ];
        return new MeshCa(await ControlPlaneHost.StartAsync(args, configureServices: null), bootstrapKey);
    }

    public static SpiffeId Identity(string serviceAccount, string ns = MeshEnvironment.DefaultNamespace) =>
        new(MeshEnvironment.DefaultTrustDomain, ns, serviceAccount);

    /// <summary>A bootstrap token for one identity, as the AppHost gives each proxy.</summary>
    public string Token(SpiffeId identity) => BootstrapToken.Mint(_bootstrapKey, identity);

    /// <summary>A sidecar's settings with its service account and a token for exactly that identity.</summary>
    public ProxySettings Sidecar(string proxyId, string service, string serviceAccount, Uri app, int? inboundPort = null, string protocol = "http") =>
        ProxySettings.Sidecar(proxyId, service, ControlPlane.GrpcAddress, app, inboundPort, protocol)
            .Set(Keys.ServiceAccount, serviceAccount)
            .Set(Keys.IdentityToken, Token(Identity(serviceAccount)));

    /// <summary>GET /api/v1/ca.</summary>
    public async Task<JsonElement> AuthorityAsync() =>
        JsonDocument.Parse(await ControlPlane.Http.GetStringAsync("/api/v1/ca")).RootElement;

    /// <summary>GET /api/v1/certificates: the latest certificate of each proxy.</summary>
    public async Task<JsonElement[]> IssuedAsync() =>
        [.. (await ControlPlane.Http.GetFromJsonAsync<JsonElement>("/api/v1/certificates")).EnumerateArray()];

    public ValueTask DisposeAsync() => ControlPlane.DisposeAsync();
}
