using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// Real processes for TCP through the mesh: instances of the TCP service "db", each a sidecar in front of a
/// <see cref="TcpEchoBackend"/>, and an "app" sidecar whose outbound listener for "db" the test connects to, as the
/// app would. A scripted control plane pushes the client the snapshot the test builds from the instances' addresses.
/// </summary>
public sealed class TcpMesh : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private TcpMesh(ScriptedControlPlane controlPlane) => ControlPlane = controlPlane;

    public ScriptedControlPlane ControlPlane { get; }

    public List<DbInstance> Instances { get; } = [];

    public ProxyProcess Client { get; private set; } = null!;

    public ProxyStream ClientStream { get; private set; } = null!;

    /// <summary>Port of the client sidecar's outbound listener for "db".</summary>
    public int OutboundPort { get; private set; }

    public static async Task<TcpMesh> StartAsync(params (string Name, string Version, TcpEchoMode Mode)[] instances)
    {
        var mesh = new TcpMesh(await ScriptedControlPlane.StartAsync());
        mesh._owned.Add(mesh.ControlPlane);
        foreach (var (name, version, mode) in instances)
        {
            var backend = TcpEchoBackend.Start(name, mode);
            mesh._owned.Add(backend);
            var sidecar = await ProxyProcess.StartAsync(
                ProxySettings.Sidecar(name, "db", mesh.ControlPlane.Address, backend.Url, protocol: "tcp").Set("Mesh:Labels:version", version));
            mesh._owned.Add(sidecar);
            mesh.Instances.Add(new DbInstance(name, version, backend, sidecar));
        }

        var app = await TestBackend.StartHealthyAppAsync();
        mesh._owned.Add(app);
        mesh.OutboundPort = FreePort.Next();
        mesh.Client = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("app-1", "app", mesh.ControlPlane.Address, app.Url).WithOutbound("db", mesh.OutboundPort, "tcp"));
        mesh._owned.Add(mesh.Client);
        mesh.ClientStream = await mesh.ControlPlane.NextStreamAsync("app-1");
        return mesh;
    }

    /// <summary>The "db" cluster with every instance's sidecar as an endpoint labelled with its version.</summary>
    public Cluster DbCluster(LoadBalancerPolicy policy = LoadBalancerPolicy.RoundRobin) => Snapshots.Cluster(
        "db", policy, ServiceProtocol.Tcp,
        Instances.Select(i => Routes.Labelled($"127.0.0.1:{i.Sidecar.Settings.InboundPort}", ("app", "db"), ("version", i.Version))).ToArray());

    /// <summary>Pushes the snapshot to the client sidecar and waits for its ACK.</summary>
    public async Task PushAsync(ProxySnapshot snapshot)
    {
        ClientStream.Push(snapshot);
        await ClientStream.NextAckAsync();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }
}

public sealed record DbInstance(string Name, string Version, TcpEchoBackend Backend, ProxyProcess Sidecar);
