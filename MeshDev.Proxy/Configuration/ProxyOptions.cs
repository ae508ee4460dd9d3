using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Configuration;

/// <summary>Everything the proxy reads from its environment, validated once at start.</summary>
public sealed record ProxyOptions
{
    public required ProxyMode Mode { get; init; }
    public required string ProxyId { get; init; }
    public required string Service { get; init; }
    public required string Namespace { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required Uri ControlPlaneAddress { get; init; }
    public required int AdminPort { get; init; }

    /// <summary>The health listener's port (every interface, GET /healthz/ready only), or null for none.</summary>
    public int? HealthPort { get; init; }

    /// <summary>Set in sidecar mode only.</summary>
    public InboundOptions? Inbound { get; init; }

    /// <summary>One per upstream service the app calls; sidecar mode only.</summary>
    public IReadOnlyList<OutboundServiceOptions> Outbound { get; init; } = [];

    /// <summary>Set in gateway mode only.</summary>
    public GatewayOptions? Gateway { get; init; }

    public ProxyTuningOptions Tuning { get; init; } = new();

    /// <summary>Set when the proxy has a bootstrap token: it then gets a workload certificate and speaks mTLS.</summary>
    public WorkloadIdentityOptions? Identity { get; init; }
    /// <summary>Metrics, traces and access logs; see <see cref="TelemetryOptionsReader"/>.</summary>
    public TelemetryOptions Telemetry { get; init; } = TelemetryOptions.Default;

    /// <summary>
    /// Mesh services this proxy sends traffic to: the outbound services. A gateway declares none; the control plane
    /// knows from its Gateway and VirtualService resources where its routes lead.
    /// </summary>
    public IReadOnlyList<string> UpstreamServices =>
        Mode == ProxyMode.Gateway ? [] : Outbound.Select(o => o.Service).ToArray();
}

public sealed record InboundOptions(
    string BindAddress,
    int Port,
    int ServicePort,
    ServiceProtocol Protocol,
    Uri AppAddress,
    string AppHealthPath,
    string? AdvertiseHost = null)
{
    /// <summary>
    /// Where peers reach this instance: the host given to advertise (a pod's IP), else the bind address; a wildcard
    /// bind with nothing to advertise is reached on loopback on this machine.
    /// </summary>
    public string AdvertisedAddress =>
        (AdvertiseHost ?? BindAddress) switch
        {
            "0.0.0.0" or "::" or "[::]" => $"127.0.0.1:{Port}",
            var host when host.Contains(':') && !host.StartsWith('[') => $"[{host}]:{Port}",
            var host => $"{host}:{Port}",
        };

    public Uri AppHealthUri => new(AppAddress, AppHealthPath);
}

public sealed record OutboundServiceOptions(string Service, int Port, ServiceProtocol Protocol);

/// <param name="ServicePort">The gateway's logical port (80 unless set); its route table in a snapshot has this name.</param>
public sealed record GatewayOptions(string BindAddress, int Port, int ServicePort)
{
    public string RouteTableName { get; } = ServicePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Knobs under Mesh:Proxy:*, with defaults that suit a developer machine.</summary>
public sealed record ProxyTuningOptions
{
    public TimeSpan HealthProbeInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan HealthProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Probes in a row that get no answer within the timeout before a healthy app counts as unhealthy, as a Kubernetes
    /// probe's failureThreshold (3 by default): a busy machine can hold one answer back. A definite answer (an error
    /// status, a refused connection) counts at once.
    /// </summary>
    public int HealthProbeMissesToFail { get; init; } = 3;

    /// <summary>Istio's default connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a forwarded stream may sit without activity, Envoy's stream idle timeout (5 minutes).</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
