using MeshDev.Core.Discovery;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// A real sidecar process for "productpage" with one outbound listener for "reviews", in front of a healthy test
/// app, that has applied (and ACKed) the snapshot a scripted control plane pushed to it.
/// </summary>
public sealed record ScriptedSidecar(ProxyProcess Proxy, ProxyStream Stream, string OutboundUrl, TestBackend App, ScriptedControlPlane ControlPlane) : IAsyncDisposable
{
    /// <param name="outboundProtocol">The protocol of the "reviews" listener and of the app's calls to it: http, http2 or grpc.</param>
    public static async Task<ScriptedSidecar> StartAsync(ProxySnapshot snapshot, string outboundProtocol = "http")
    {
        var app = await TestBackend.StartHealthyAppAsync();
        var controlPlane = await ScriptedControlPlane.StartAsync();
        var outboundPort = FreePort.Next();
        var proxy = await ProxyProcess.StartAsync(
            ProxySettings.Sidecar("productpage-1", "productpage", controlPlane.Address, app.Url).WithOutbound("reviews", outboundPort, outboundProtocol));
        var stream = await controlPlane.NextStreamAsync("productpage-1");
        stream.Push(snapshot);
        await stream.NextAckAsync();
        return new ScriptedSidecar(proxy, stream, $"http://127.0.0.1:{outboundPort}/", app, controlPlane);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await ControlPlane.DisposeAsync();
        await App.DisposeAsync();
    }
}
