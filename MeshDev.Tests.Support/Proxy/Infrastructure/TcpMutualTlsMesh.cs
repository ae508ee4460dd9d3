using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// Two real sidecar processes with workload identities from a <see cref="TestCertificateAuthority"/>, for a TCP service:
/// "app" (with an outbound listener for the TCP service "db") and "db" in front of a <see cref="TcpEchoBackend"/>.
/// The scripted control plane tells app that db's instance has identity spiffe://cluster.local/ns/default/sa/db.
/// </summary>
public sealed class TcpMutualTlsMesh : IAsyncDisposable
{
    public static readonly SpiffeId App = TestCertificateAuthority.Workload("app");
    public static readonly SpiffeId Db = TestCertificateAuthority.Workload("db");

    private readonly List<IAsyncDisposable> _owned = [];

    private TcpMutualTlsMesh(TestCertificateAuthority authority, ScriptedControlPlane controlPlane, TcpEchoBackend backend)
    {
        Authority = authority;
        ControlPlane = controlPlane;
        Backend = backend;
    }

    public TestCertificateAuthority Authority { get; }
    public ScriptedControlPlane ControlPlane { get; }
    public TcpEchoBackend Backend { get; }
    public ProxyProcess Client { get; private set; } = null!;
    public ProxyProcess Server { get; private set; } = null!;
    public ProxyStream ClientStream { get; private set; } = null!;
    public ProxyStream ServerStream { get; private set; } = null!;

    /// <summary>The app sidecar's outbound listener for db, where the app would connect.</summary>
    public int OutboundPort { get; private set; }

    /// <summary>The db sidecar's inbound listener, db's address in the mesh.</summary>
    public int ServerInboundPort { get; private set; }

    /// <param name="serverSecurity">The db sidecar's inbound_security; null: none (PERMISSIVE).</param>
    /// <param name="dbIdentity">The identity app is told to expect of db's instance.</param>
    public static async Task<TcpMutualTlsMesh> StartAsync(
        TcpEchoMode mode = TcpEchoMode.Echo,
        InboundSecurity? serverSecurity = null,
        SpiffeId? dbIdentity = null,
        Action<Cluster>? configureCluster = null)
    {
        var authority = new TestCertificateAuthority();
        var serverInboundPort = FreePort.Next();
        var cluster = Snapshots.Cluster("db", LoadBalancerPolicy.RoundRobin, ServiceProtocol.Tcp, new Endpoint
        {
            Address = $"127.0.0.1:{serverInboundPort}",
            Healthy = true,
            ProxyId = "db-1",
            Identity = (dbIdentity ?? Db).ToString(),
        });
        configureCluster?.Invoke(cluster);

        var controlPlane = await ScriptedControlPlane.StartAsync(
            hello => hello.Service == "app"
                ? Snapshots.Of("v1", cluster)
                : new ProxySnapshot { Version = "v1", InboundSecurity = serverSecurity },
            authority: authority);
        var mesh = new TcpMutualTlsMesh(authority, controlPlane, TcpEchoBackend.Start("db-1", mode)) { ServerInboundPort = serverInboundPort };
        mesh._owned.Add(mesh.Backend);
        var appToken = authority.AllowToken("token-app-" + Guid.NewGuid().ToString("N"), App);
        var dbToken = authority.AllowToken("token-db-" + Guid.NewGuid().ToString("N"), Db);

        var app = await TestBackend.StartHealthyAppAsync();
        mesh._owned.Add(app);
        mesh.OutboundPort = FreePort.Next();
        var serverStart = ProxyProcess.StartAsync(
            ProxySettings.Sidecar("db-1", "db", controlPlane.Address, mesh.Backend.Url, serverInboundPort, "tcp").Set(Keys.IdentityToken, dbToken));
        var clientStart = ProxyProcess.StartAsync(
            ProxySettings.Sidecar("app-1", "app", controlPlane.Address, app.Url).WithOutbound("db", mesh.OutboundPort, "tcp").Set(Keys.IdentityToken, appToken));
        mesh.Server = await serverStart;
        mesh.Client = await clientStart;
        mesh.ServerStream = await controlPlane.NextStreamAsync("db-1");
        mesh.ClientStream = await controlPlane.NextStreamAsync("app-1");
        await mesh.ServerStream.NextAckAsync();
        await mesh.ClientStream.NextAckAsync();
        await MutualTlsMesh.WaitReadyAsync(mesh.Server);
        await MutualTlsMesh.WaitReadyAsync(mesh.Client);
        return mesh;
    }

    /// <summary>Pushes db's sidecar a new inbound_security and waits for its ACK.</summary>
    public async Task PushServerSecurityAsync(string version, InboundSecurity security)
    {
        ServerStream.Push(new ProxySnapshot { Version = version, InboundSecurity = security });
        await ServerStream.NextAckAsync();
    }

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
