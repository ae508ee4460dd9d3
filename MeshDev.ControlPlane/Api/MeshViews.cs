using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Api;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Api;

/// <summary>Projects the registry and push state into the API's shapes.</summary>
public sealed class MeshViews(IWorkloadRegistry registry, ProxySyncTracker tracker)
{
    public IReadOnlyList<ServiceResponse> Services() =>
        [.. registry.GetAll()
            .Where(w => w.IsSidecar)
            .GroupBy(w => (w.Service, w.Namespace))
            .OrderBy(g => g.Key.Service, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Namespace, StringComparer.Ordinal)
            .Select(g => new ServiceResponse(g.Key.Service, g.Key.Namespace,
                [.. g.OrderBy(w => w.ProxyId, StringComparer.Ordinal).Select(Instance)]))];

    public IReadOnlyList<ProxyResponse> Proxies() =>
        [.. registry.GetAll().OrderBy(w => w.ProxyId, StringComparer.Ordinal).Select(Proxy)];

    public ProxyResponse? Proxy(string proxyId) => registry.Find(proxyId) is { } workload ? Proxy(workload) : null;

    private static ServiceInstanceResponse Instance(Workload w) =>
        new(w.ProxyId, w.Labels, w.InboundAddress, w.ServicePort, ProtocolName(w.Protocol), w.Healthy, w.Connected, w.ProcessGone);

    private ProxyResponse Proxy(Workload w)
    {
        var sync = tracker.Get(w.ProxyId);
        return new ProxyResponse(
            w.ProxyId, w.Service, w.Namespace, w.Labels,
            w.Mode == ProxyMode.Gateway ? "gateway" : "sidecar",
            w.Connected, w.ConnectedAt, w.DisconnectedAt, w.Healthy,
            sync.SentVersion, sync.SentAt, sync.AckedVersion, sync.AckedAt, sync.InSync, sync.ConfigVersion,
            sync.LastNack is { } nack ? new NackResponse(nack.Version, nack.Reason, nack.At) : null,
            w.AdminUrl, w.UpstreamServices, sync.LastPushAt, w.Restarts, w.InstanceId, w.StartedAt, w.ProcessGone);
    }

    public static string ProtocolName(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Http2 => "http2",
        ServiceProtocol.Grpc => "grpc",
        ServiceProtocol.Tcp => "tcp",
        _ => "http",
    };
}
