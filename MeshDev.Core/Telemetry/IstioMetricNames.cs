namespace MeshDev.Core.Telemetry;

/// <summary>
/// Istio's standard metric names: the proxy records them and the control plane's topology reads them back from the
/// proxies' Prometheus text, so both take them from here.
/// </summary>
public static class IstioMetricNames
{
    public const string RequestsTotal = "istio_requests_total";
    public const string RequestDuration = "istio_request_duration_milliseconds";
    public const string RequestBytes = "istio_request_bytes";
    public const string ResponseBytes = "istio_response_bytes";
    public const string TcpSentBytes = "istio_tcp_sent_bytes_total";
    public const string TcpReceivedBytes = "istio_tcp_received_bytes_total";
    public const string TcpConnectionsOpened = "istio_tcp_connections_opened_total";
    public const string TcpConnectionsClosed = "istio_tcp_connections_closed_total";

    /// <summary>The Prometheus series of <see cref="RequestDuration"/>'s buckets.</summary>
    public const string RequestDurationBucket = RequestDuration + "_bucket";
}

/// <summary>The label names of Istio's standard metrics, and the values Istio gives some of them.</summary>
public static class IstioLabelNames
{
    public const string Reporter = "reporter";
    public const string SourceWorkload = "source_workload";
    public const string SourceCanonicalService = "source_canonical_service";
    public const string SourceCanonicalRevision = "source_canonical_revision";
    public const string SourceWorkloadNamespace = "source_workload_namespace";
    public const string SourcePrincipal = "source_principal";
    public const string SourceApp = "source_app";
    public const string SourceVersion = "source_version";
    public const string DestinationWorkload = "destination_workload";
    public const string DestinationWorkloadNamespace = "destination_workload_namespace";
    public const string DestinationPrincipal = "destination_principal";
    public const string DestinationApp = "destination_app";
    public const string DestinationVersion = "destination_version";
    public const string DestinationService = "destination_service";
    public const string DestinationCanonicalService = "destination_canonical_service";
    public const string DestinationCanonicalRevision = "destination_canonical_revision";
    public const string DestinationServiceName = "destination_service_name";
    public const string DestinationServiceNamespace = "destination_service_namespace";
    public const string RequestProtocol = "request_protocol";
    public const string ResponseCode = "response_code";
    public const string GrpcResponseStatus = "grpc_response_status";
    public const string ResponseFlags = "response_flags";
    public const string ConnectionSecurityPolicy = "connection_security_policy";

    /// <summary>Prometheus' bucket bound label on histogram series.</summary>
    public const string BucketBound = "le";

    /// <summary>The <see cref="Reporter"/> value of the caller's proxy.</summary>
    public const string ReporterSource = "source";

    /// <summary>The <see cref="Reporter"/> value of the callee's sidecar.</summary>
    public const string ReporterDestination = "destination";

    /// <summary>The <see cref="ConnectionSecurityPolicy"/> value of a hop over mTLS.</summary>
    public const string MutualTls = "mutual_tls";

    /// <summary>The <see cref="ConnectionSecurityPolicy"/> value of a plaintext hop.</summary>
    public const string NoTls = "none";

    /// <summary>Istio's value for anything a proxy does not know.</summary>
    public const string Unknown = "unknown";

    /// <summary>The workload labels of the calling side.</summary>
    public static readonly IstioWorkloadLabelNames Source = new(
        SourceWorkload, SourceWorkloadNamespace, SourcePrincipal, SourceApp, SourceVersion, SourceCanonicalService, SourceCanonicalRevision);

    /// <summary>The workload labels of the called side.</summary>
    public static readonly IstioWorkloadLabelNames Destination = new(
        DestinationWorkload, DestinationWorkloadNamespace, DestinationPrincipal, DestinationApp, DestinationVersion,
        DestinationCanonicalService, DestinationCanonicalRevision);
}

/// <summary>The names of the labels that describe one side (source or destination) of an Istio metric.</summary>
public sealed record IstioWorkloadLabelNames(
    string Workload, string WorkloadNamespace, string Principal, string App, string Version, string CanonicalService, string CanonicalRevision);
