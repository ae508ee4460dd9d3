namespace MeshDev.Core;

/// <summary>
/// Configuration keys that the hosting integration sets on a proxy or control plane process and that those
/// processes read. Keeping them in one place is what holds the three parts to one contract.
/// Keys use ':' (IConfiguration); environment variables use '__' in their place.
/// </summary>
public static class MeshEnvironment
{
    public const string DefaultNamespace = "default";
    public const string DefaultTrustDomain = "cluster.local";

    public static string ToEnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    public static class Proxy
    {
        /// <summary>"sidecar" or "gateway".</summary>
        public const string Mode = "Mesh:Mode";
        public const string ProxyId = "Mesh:ProxyId";
        public const string Service = "Mesh:Service";
        public const string Namespace = "Mesh:Namespace";
        /// <summary>Prefix: Mesh:Labels:&lt;key&gt; = value.</summary>
        public const string Labels = "Mesh:Labels";
        /// <summary>gRPC address of the control plane, e.g. http://127.0.0.1:15010.</summary>
        public const string ControlPlaneAddress = "Mesh:ControlPlane:Address";
        /// <summary>Port of the sidecar's inbound listener (the instance's address in the mesh).</summary>
        public const string InboundPort = "Mesh:Inbound:Port";
        /// <summary>Service port the inbound listener stands for (9080 for Bookinfo, as in Istio).</summary>
        public const string ServicePort = "Mesh:Inbound:ServicePort";
        /// <summary>URL of the app behind the sidecar, e.g. http://127.0.0.1:5123.</summary>
        public const string AppAddress = "Mesh:App:Address";
        public const string AppHealthPath = "Mesh:App:HealthPath";
        /// <summary>"http" (default), "http2" or "grpc": the protocol of the service port.</summary>
        public const string InboundProtocol = "Mesh:Inbound:Protocol";
        /// <summary>Address the inbound listener binds (127.0.0.1 locally, 0.0.0.0 in a pod).</summary>
        public const string InboundBindAddress = "Mesh:Inbound:BindAddress";
        /// <summary>
        /// The address peers reach the inbound listener at, when it is not the bind address (a pod's IP, given by the
        /// downward API, while the listener binds 0.0.0.0). Unset: the bind address, or loopback for a wildcard bind.
        /// </summary>
        public const string InboundAdvertiseAddress = "Mesh:Inbound:AdvertiseAddress";
        /// <summary>
        /// Port of the health listener (Istio's 15021): GET /healthz/ready on every interface, for a kubelet's probes,
        /// while the admin listener stays on loopback. Unset: no health listener.
        /// </summary>
        public const string HealthPort = "Mesh:Health:Port";
        /// <summary>
        /// Prefix, one section per upstream service: Mesh:Outbound:&lt;service&gt;:Port (loopback port of the
        /// outbound listener for that service) and Mesh:Outbound:&lt;service&gt;:Protocol (http, http2, grpc).
        /// </summary>
        public const string Outbound = "Mesh:Outbound";
        public const string AdminPort = "Mesh:Admin:Port";
        /// <summary>Port the gateway listens on.</summary>
        public const string GatewayPort = "Mesh:Gateway:Port";
        /// <summary>
        /// The gateway's logical port as Istio Gateway resources name it (80 unless set), whatever host port it binds;
        /// its route table in a snapshot carries this name.
        /// </summary>
        public const string GatewayServicePort = "Mesh:Gateway:ServicePort";
        /// <summary>Address the gateway binds ("localhost" binds both loopback families).</summary>
        public const string GatewayBindAddress = "Mesh:Gateway:BindAddress";
        /// <summary>
        /// Bootstrap credential proving the proxy's identity to the certificate authority (a secret: never logged).
        /// </summary>
        public const string IdentityToken = "Mesh:Identity:Token";
        /// <summary>Service account the proxy runs as (the mesh service's name unless set).</summary>
        public const string ServiceAccount = "Mesh:Identity:ServiceAccount";
        public const string TrustDomain = "Mesh:Identity:TrustDomain";
        /// <summary>Asked-for certificate lifetime (TimeSpan); the CA's own setting when absent.</summary>
        public const string CertificateLifetime = "Mesh:Identity:CertificateLifetime";
        /// <summary>
        /// The workload this proxy stands for, as Istio's workload labels name it: the app's resource name for a
        /// sidecar (e.g. reviews-v2), the gateway's name for a gateway. Unset: the proxy id without "-sidecar".
        /// </summary>
        public const string Workload = "Mesh:Workload";
        /// <summary>"true" (default) or "false": Istio's standard metrics, trace spans and access logs.</summary>
        public const string TelemetryEnabled = "Mesh:Telemetry:Enabled";
        /// <summary>Percentage (0-100, default 100) of new traces that are sampled; a caller's decision is kept.</summary>
        public const string TraceSampling = "Mesh:Telemetry:TraceSampling";
        /// <summary>"text" (Envoy's default format, the default), "json" or "off": one stdout line per request.</summary>
        public const string AccessLogFormat = "Mesh:AccessLog:Format";
    }

    public static class ControlPlane
    {
        /// <summary>Port of the dashboard and HTTP API (15080 by default).</summary>
        public const string HttpPort = "Mesh:ControlPlane:HttpPort";
        /// <summary>Address both listeners bind: "localhost" unless set; "0.0.0.0" in a pod.</summary>
        public const string BindAddress = "Mesh:ControlPlane:BindAddress";
        /// <summary>Port of the gRPC listener (config push, later the CA).</summary>
        public const string GrpcPort = "Mesh:ControlPlane:GrpcPort";
        /// <summary>How long a disconnected proxy's workload stays in the registry.</summary>
        public const string DisconnectGracePeriod = "Mesh:ControlPlane:DisconnectGracePeriod";
        /// <summary>Quiet time a push waits for further registry changes before compiling.</summary>
        public const string PushDebounce = "Mesh:ControlPlane:PushDebounce";
        /// <summary>
        /// Prefix, one entry per mesh service the AppHost declares: Mesh:ControlPlane:Services:&lt;i&gt; = name. With
        /// the registered ones, these are the hosts that config may name, known before any sidecar has connected.
        /// </summary>
        public const string Services = "Mesh:ControlPlane:Services";
        /// <summary>Folder of Istio YAML files the control plane loads and watches (optional).</summary>
        public const string ConfigDirectory = "Mesh:ControlPlane:ConfigDirectory";
        /// <summary>Folder where the control plane keeps state across runs: the CA's root key and certificate.</summary>
        public const string DataDirectory = "Mesh:ControlPlane:DataDirectory";
        public const string TrustDomain = "Mesh:ControlPlane:TrustDomain";
        /// <summary>Lifetime of workload certificates (TimeSpan, 24 h by default, one minute at least).</summary>
        public const string CertificateLifetime = "Mesh:ControlPlane:Certificates:Lifetime";
        /// <summary>A user-supplied CA certificate (root or intermediate, PEM; an intermediate's file holds its chain).</summary>
        public const string CaCertificatePath = "Mesh:ControlPlane:Certificates:CaCertificatePath";
        /// <summary>The private key of <see cref="CaCertificatePath"/> (PEM).</summary>
        public const string CaKeyPath = "Mesh:ControlPlane:Certificates:CaKeyPath";
        /// <summary>
        /// Secret key with which the AppHost signs each proxy's bootstrap token, and with which the CA checks them.
        /// </summary>
        public const string BootstrapKey = "Mesh:ControlPlane:BootstrapKey";
        /// <summary>
        /// The credential of the HTTP API's writes and sensitive reads (a secret: never logged). Unset: the control plane
        /// makes one at each start and writes it, owner-only, to <c>api-token</c> in its data folder.
        /// </summary>
        public const string ApiToken = "Mesh:ControlPlane:ApiToken";
        /// <summary>
        /// Comma-separated host names (no port) the HTTP API answers to besides loopback ones, e.g. a Kubernetes
        /// Service's names. Any other Host header is refused, which is what stops DNS rebinding.
        /// </summary>
        public const string AllowedHosts = "Mesh:ControlPlane:AllowedHosts";
    }
}
