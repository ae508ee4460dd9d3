using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>The control plane's own compiler run over YAML written in a test, for the workloads the test names.</summary>
public static class InlineSnapshot
{
    public static readonly IReadOnlySet<string> Services = new HashSet<string> { "productpage", "reviews", "ratings", "details" };

    public static Workload Sidecar(string id, string service, string version, string inboundAddress, params string[] upstreams) => new()
    {
        ProxyId = id, Mode = ProxyMode.Sidecar, Service = service, Namespace = "default",
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app"] = service, ["version"] = version },
        InboundAddress = inboundAddress, ServicePort = 9080, Protocol = ServiceProtocol.Http,
        AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = upstreams,
        Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
    };

    /// <summary>Parses and validates <paramref name="yaml"/> (no errors allowed), then compiles <paramref name="proxy"/>'s snapshot.</summary>
    public static ProxySnapshot Compile(string yaml, Workload proxy, params Workload[] others)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        var workloads = others.Prepend(proxy).ToList();
        var ports = workloads.Where(w => w.IsSidecar).GroupBy(w => w.Service).ToDictionary(g => g.Key, g => g.First().ServicePort);
        Assert.DoesNotContain(ConfigValidator.Validate(parsed.Resources, Services, ports), m => m.IsError);
        return new SnapshotCompiler().Compile(proxy, new SnapshotInputs(new MeshConfig(1, parsed.Resources), workloads));
    }

}
