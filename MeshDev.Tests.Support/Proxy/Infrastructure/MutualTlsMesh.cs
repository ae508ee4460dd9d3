using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// Two real sidecar processes with workload identities from a <see cref="TestCertificateAuthority"/>: "productpage"
/// (with an outbound listener for "reviews") and "reviews" in front of the app a test gives. The scripted control
/// plane tells productpage that reviews' instance has identity spiffe://cluster.local/ns/default/sa/reviews.
/// </summary>
public sealed class MutualTlsMesh : IAsyncDisposable
{
    public static readonly SpiffeId ProductPage = TestCertificateAuthority.Workload("productpage");
    public static readonly SpiffeId Reviews = TestCertificateAuthority.Workload("reviews");

    private readonly List<IAsyncDisposable> _owned = [];

    private MutualTlsMesh(TestCertificateAuthority authority, ScriptedControlPlane controlPlane)
    {
        Authority = authority;
        ControlPlane = controlPlane;
    }

    public TestCertificateAuthority Authority { get; }
    public ScriptedControlPlane ControlPlane { get; }
    public ProxyProcess Client { get; private set; } = null!;
    public ProxyProcess Server { get; private set; } = null!;
    public ProxyStream ClientStream { get; private set; } = null!;
    public ProxyStream ServerStream { get; private set; } = null!;
    public string OutboundUrl { get; private set; } = "";
    public int ServerInboundPort { get; private set; }
    public string ClientToken { get; } = "token-productpage-" + Guid.NewGuid().ToString("N");
    public string ServerToken { get; } = "token-reviews-" + Guid.NewGuid().ToString("N");

    /// <param name="serverApp">The app behind the reviews sidecar; it must answer /health.</param>
    /// <param name="protocol">The reviews service port's protocol, on both sidecars.</param>
    /// <param name="serverSecurity">The reviews sidecar's inbound_security; null: none (PERMISSIVE).</param>
    /// <param name="reviewsIdentity">The identity productpage is told to expect of reviews' instance.</param>
    /// <param name="authority">The CA to use, when the test needs it before the mesh starts; the mesh disposes it.</param>
    public static async Task<MutualTlsMesh> StartAsync(
        TestBackend serverApp,
        string protocol = "http",
        InboundSecurity? serverSecurity = null,
        SpiffeId? reviewsIdentity = null,
        Action<Cluster>? configureCluster = null,
        string? certificateLifetime = null,
        TestCertificateAuthority? authority = null)
    {
        authority ??= new TestCertificateAuthority();
        var serverInboundPort = FreePort.Next();
        var serviceProtocol = protocol switch { "grpc" => ServiceProtocol.Grpc, "http2" => ServiceProtocol.Http2, _ => ServiceProtocol.Http };
        var cluster = Snapshots.Cluster("reviews", LoadBalancerPolicy.RoundRobin, serviceProtocol, new Endpoint
        {
            Address = $"127.0.0.1:{serverInboundPort}",
            Healthy = true,
            ProxyId = "reviews-1",
            Identity = (reviewsIdentity ?? Reviews).ToString(),
        });
        configureCluster?.Invoke(cluster);

        var controlPlane = await ScriptedControlPlane.StartAsync(
            hello => hello.Service == "productpage"
                ? Snapshots.Of("v1", cluster)
                : new ProxySnapshot { Version = "v1", InboundSecurity = serverSecurity },
            authority: authority);
        var mesh = new MutualTlsMesh(authority, controlPlane) { ServerInboundPort = serverInboundPort };
        authority.AllowToken(mesh.ClientToken, ProductPage);
        authority.AllowToken(mesh.ServerToken, Reviews);

        var clientApp = await TestBackend.StartHealthyAppAsync();
        mesh._owned.Add(clientApp);
        var outboundPort = FreePort.Next();
        var serverSettings = ProxySettings.Sidecar("reviews-1", "reviews", controlPlane.Address, serverApp.Url, serverInboundPort, protocol)
            .Set(Keys.IdentityToken, mesh.ServerToken);
        var clientSettings = ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, clientApp.Url)
            .WithOutbound("reviews", outboundPort, protocol)
            .Set(Keys.IdentityToken, mesh.ClientToken);
        if (certificateLifetime is not null)
        {
            serverSettings.Set(Keys.CertificateLifetime, certificateLifetime);
            clientSettings.Set(Keys.CertificateLifetime, certificateLifetime);
        }

        var serverStart = ProxyProcess.StartAsync(serverSettings);
        var clientStart = ProxyProcess.StartAsync(clientSettings);
        mesh.Server = await serverStart;
        mesh.Client = await clientStart;
        mesh.ServerStream = await controlPlane.NextStreamAsync("reviews-1");
        mesh.ClientStream = await controlPlane.NextStreamAsync("productpage-1");
        mesh.OutboundUrl = $"http://127.0.0.1:{outboundPort}/";
        // The first pushes' ACKs, so that a test's own push meets its own ACK.
        await mesh.ServerStream.NextAckAsync();
        await mesh.ClientStream.NextAckAsync();
        await WaitReadyAsync(mesh.Server);
        await WaitReadyAsync(mesh.Client);
        return mesh;
    }

    public static Task WaitReadyAsync(ProxyProcess proxy) =>
        proxy.WaitUntilAsync(async () => (await proxy.GetAdminAsync("/ready")).Status == HttpStatusCode.OK, $"{proxy.Settings.ProxyId} to be ready", TimeSpan.FromSeconds(30));

    /// <summary>An HTTP client that dials the reviews sidecar's inbound listener itself, with TLS and the given client certificate.</summary>
    public HttpClient DirectTlsClient(X509Certificate2? clientCertificate, Version? version = null) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            // The test client checks the server by the test CA; what it is testing is the server's side.
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!,
        },
        PooledConnectionLifetime = TimeSpan.Zero,
    })
    {
        BaseAddress = new Uri($"https://127.0.0.1:{ServerInboundPort}"),
        DefaultRequestVersion = version ?? HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(10),
    };

    public HttpClient DirectPlaintextClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{ServerInboundPort}"),
        Timeout = TimeSpan.FromSeconds(10),
    };

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await ControlPlane.DisposeAsync();
        Authority.Dispose();
    }
}
