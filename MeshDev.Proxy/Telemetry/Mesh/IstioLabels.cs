using System.Diagnostics;
using System.Globalization;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>The destination service of a request as Istio's labels name it.</summary>
/// <param name="Host">The fully qualified name, e.g. reviews.default.svc.cluster.local.</param>
public sealed record DestinationService(string Host, string Name, string Namespace)
{
    public static readonly DestinationService Unknown = new(WorkloadLabels.Unknown, WorkloadLabels.Unknown, WorkloadLabels.Unknown);

    public static DestinationService Of(string service, string defaultNamespace)
    {
        var (name, @namespace) = Core.Config.ServiceHost.Resolve(service, defaultNamespace);
        return new DestinationService($"{name}.{@namespace}.svc.{Core.MeshEnvironment.DefaultTrustDomain}", name, @namespace);
    }
}

/// <summary>Everything Istio's standard metrics say about one request or connection, in Istio's label order.</summary>
public readonly record struct IstioLabelValues(
    Reporter Reporter,
    WorkloadLabels Source,
    string SourcePrincipal,
    WorkloadLabels Destination,
    string DestinationPrincipal,
    DestinationService Service,
    string RequestProtocol,
    string ConnectionSecurityPolicy);

/// <summary>Istio's label names and the label sets built from them.</summary>
public static class IstioLabels
{
    public const string ProtocolHttp = "http";
    public const string ProtocolGrpc = "grpc";
    public const string ProtocolTcp = "tcp";

    public const string MutualTls = "mutual_tls";
    public const string NoTls = "none";

    private static readonly string[] StatusCodes = Enumerable.Range(0, 600).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The labels of istio_requests_total and the request histograms.</summary>
    public static TagList ForRequest(in IstioLabelValues values, int responseCode, string grpcStatus, ResponseFlags flags)
    {
        var tags = Common(values);
        tags.Add("response_code", (uint)responseCode < StatusCodes.Length ? StatusCodes[responseCode] : responseCode.ToString(CultureInfo.InvariantCulture));
        tags.Add("grpc_response_status", grpcStatus);
        tags.Add("response_flags", flags.ToEnvoyString());
        tags.Add("connection_security_policy", values.ConnectionSecurityPolicy);
        return tags;
    }

    /// <summary>The labels of the istio_tcp_* metrics: no response code or gRPC status, as in Istio.</summary>
    public static TagList ForTcp(in IstioLabelValues values, ResponseFlags flags)
    {
        var tags = Common(values);
        tags.Add("response_flags", flags.ToEnvoyString());
        tags.Add("connection_security_policy", values.ConnectionSecurityPolicy);
        return tags;
    }

    private static TagList Common(in IstioLabelValues values)
    {
        var source = values.Source;
        var destination = values.Destination;
        return new TagList
        {
            { "reporter", values.Reporter == Reporter.Source ? "source" : "destination" },
            { "source_workload", source.Workload },
            { "source_canonical_service", source.CanonicalService },
            { "source_canonical_revision", source.CanonicalRevision },
            { "source_workload_namespace", source.Namespace },
            { "source_principal", values.SourcePrincipal },
            { "source_app", source.App },
            { "source_version", source.Version },
            { "destination_workload", destination.Workload },
            { "destination_workload_namespace", destination.Namespace },
            { "destination_principal", values.DestinationPrincipal },
            { "destination_app", destination.App },
            { "destination_version", destination.Version },
            { "destination_service", values.Service.Host },
            { "destination_canonical_service", destination.CanonicalService },
            { "destination_canonical_revision", destination.CanonicalRevision },
            { "destination_service_name", values.Service.Name },
            { "destination_service_namespace", values.Service.Namespace },
            { "request_protocol", values.RequestProtocol },
        };
    }
}
