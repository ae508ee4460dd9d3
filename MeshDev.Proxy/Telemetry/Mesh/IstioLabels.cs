using System.Diagnostics;
using System.Globalization;
using MeshDev.Core.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>The destination service of a request as Istio's labels name it.</summary>
/// <param name="Host">The fully qualified name, e.g. reviews.default.svc.cluster.local.</param>
public sealed record DestinationService(string Host, string Name, string Namespace)
{
    public static readonly DestinationService Unknown = new(IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown);

    public static DestinationService Of(string service, string defaultNamespace)
    {
        var (name, @namespace) = Core.Config.ServiceHost.Resolve(service, defaultNamespace);
        return new DestinationService($"{name}.{@namespace}.svc.{Core.MeshEnvironment.DefaultTrustDomain}", name, @namespace);
    }
}

/// <summary>Everything Istio's standard metrics say about one request or connection, in Istio's label order.</summary>
public readonly record struct IstioLabelValues(
    Reporter Reporter,
    IstioWorkloadLabels Source,
    string SourcePrincipal,
    IstioWorkloadLabels Destination,
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

    private static readonly string[] StatusCodes = Enumerable.Range(0, 600).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The labels of istio_requests_total and the request histograms.</summary>
    public static TagList ForRequest(in IstioLabelValues values, int responseCode, string grpcStatus, ResponseFlags flags)
    {
        var tags = Common(values);
        tags.Add(IstioLabelNames.ResponseCode, (uint)responseCode < StatusCodes.Length ? StatusCodes[responseCode] : responseCode.ToString(CultureInfo.InvariantCulture));
        tags.Add(IstioLabelNames.GrpcResponseStatus, grpcStatus);
        tags.Add(IstioLabelNames.ResponseFlags, flags.ToEnvoyString());
        tags.Add(IstioLabelNames.ConnectionSecurityPolicy, values.ConnectionSecurityPolicy);
        return tags;
    }

    /// <summary>The labels of the istio_tcp_* metrics: no response code or gRPC status, as in Istio.</summary>
    public static TagList ForTcp(in IstioLabelValues values, ResponseFlags flags)
    {
        var tags = Common(values);
        tags.Add(IstioLabelNames.ResponseFlags, flags.ToEnvoyString());
        tags.Add(IstioLabelNames.ConnectionSecurityPolicy, values.ConnectionSecurityPolicy);
        return tags;
    }

    private static TagList Common(in IstioLabelValues values)
    {
        var source = values.Source;
        var destination = values.Destination;
        return new TagList
        {
            { IstioLabelNames.Reporter, values.Reporter == Reporter.Source ? IstioLabelNames.ReporterSource : IstioLabelNames.ReporterDestination },
            { IstioLabelNames.SourceWorkload, source.Workload },
            { IstioLabelNames.SourceCanonicalService, source.CanonicalService },
            { IstioLabelNames.SourceCanonicalRevision, source.CanonicalRevision },
            { IstioLabelNames.SourceWorkloadNamespace, source.Namespace },
            { IstioLabelNames.SourcePrincipal, values.SourcePrincipal },
            { IstioLabelNames.SourceApp, source.App },
            { IstioLabelNames.SourceVersion, source.Version },
            { IstioLabelNames.DestinationWorkload, destination.Workload },
            { IstioLabelNames.DestinationWorkloadNamespace, destination.Namespace },
            { IstioLabelNames.DestinationPrincipal, values.DestinationPrincipal },
            { IstioLabelNames.DestinationApp, destination.App },
            { IstioLabelNames.DestinationVersion, destination.Version },
            { IstioLabelNames.DestinationService, values.Service.Host },
            { IstioLabelNames.DestinationCanonicalService, destination.CanonicalService },
            { IstioLabelNames.DestinationCanonicalRevision, destination.CanonicalRevision },
            { IstioLabelNames.DestinationServiceName, values.Service.Name },
            { IstioLabelNames.DestinationServiceNamespace, values.Service.Namespace },
            { IstioLabelNames.RequestProtocol, values.RequestProtocol },
        };
    }
}
