using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>Registry workloads and validated configs as the snapshot compilers take them, without a control plane.</summary>
public static class TestWorkloads
{
    /// <summary>A connected, healthy workload whose labels are app=<paramref name="service"/> plus <paramref name="labels"/>.</summary>
    public static Workload Connected(string service, string @namespace = "default", ProxyMode mode = ProxyMode.Sidecar, params (string, string)[] labels)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app"] = service };
        foreach (var (key, value) in labels)
        {
            all[key] = value;
        }

        return new Workload
        {
            ProxyId = $"{service}-1", Mode = mode, Service = service, Namespace = @namespace, Labels = all,
            InboundAddress = mode == ProxyMode.Sidecar ? "127.0.0.1:40001" : "", ServicePort = 9080, Protocol = ServiceProtocol.Http,
            AdminUrl = "http://127.0.0.1:1", Healthy = true, UpstreamServices = [], Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
        };
    }

    /// <summary>The config <paramref name="yaml"/> describes, asserted to parse and validate cleanly against <paramref name="services"/>.</summary>
    public static MeshConfig ValidConfig(string yaml, params string[] services)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        Assert.DoesNotContain(ConfigValidator.Validate(parsed.Resources, new HashSet<string>(services)), m => m.IsError);
        return new MeshConfig(1, parsed.Resources);
    }
}
