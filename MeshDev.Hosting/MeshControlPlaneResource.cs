using Aspire.Hosting.ApplicationModel;

namespace MeshDev.Hosting;

/// <summary>
/// The MeshDev control plane: registry, config push to every proxy, and the mesh dashboard with its HTTP API.
/// </summary>
public sealed class MeshControlPlaneResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>Endpoint of the dashboard and HTTP API.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>Endpoint of the gRPC stream that pushes config to proxies.</summary>
    public const string GrpcEndpointName = "grpc";

    public const int DefaultHttpPort = 15080;

    /// <summary>Where the control plane keeps its state unless <c>WithMeshDataDirectory</c> says otherwise, under the AppHost's directory.</summary>
    public const string DefaultDataDirectoryRoot = ".meshdev";

    public string Namespace { get; set; } = Core.MeshEnvironment.DefaultNamespace;

    /// <summary>The trust domain of every workload identity in this mesh, spiffe://&lt;trust domain&gt;/ns/…/sa/….</summary>
    public string TrustDomain { get; } = Core.MeshEnvironment.DefaultTrustDomain;

    /// <summary>
    /// Folder where the control plane keeps its certificate authority's root across runs, relative to the AppHost's
    /// directory (where the control plane runs): <c>.meshdev/&lt;name&gt;</c> unless set.
    /// </summary>
    public string DataDirectory { get; internal set; } = Path.Combine(DefaultDataDirectoryRoot, name);

    /// <summary>
    /// The secret the AppHost mints each proxy's bootstrap token with and the control plane checks them with. A
    /// generated secret parameter: Aspire masks it in its dashboard, and the manifest names the parameter, not its value.
    /// </summary>
    public ParameterResource BootstrapKey { get; internal set; } = null!;

    /// <summary>
    /// The credential of the control plane's HTTP API (its writes, config dumps and certificates), a generated secret
    /// parameter made anew for each run; null when publishing, where the deployment supplies its own (a Kubernetes Secret).
    /// </summary>
    public ParameterResource? ApiToken { get; internal set; }

    /// <summary>The file, beside the AppHost, where a run leaves the API token for meshctl: <c>.meshdev/api-token</c>.</summary>
    public const string ApiTokenFile = ".meshdev/api-token";

    /// <summary>
    /// Folder of Istio YAML files the control plane loads and watches, relative to the AppHost's directory (where
    /// the control plane runs), or null for none.
    /// </summary>
    public string? ConfigDirectory { get; internal set; }

    public EndpointReference HttpEndpoint => this.GetEndpoint(HttpEndpointName);

    public EndpointReference GrpcEndpoint => this.GetEndpoint(GrpcEndpointName);

    /// <summary>How the publish step writes the mesh for Kubernetes; configuration (Mesh:Kubernetes:*) overrides it.</summary>
    public Kubernetes.KubernetesOptions KubernetesOptions { get; internal set; } = new();

    /// <summary>Every sidecar in the mesh, by the mesh service it belongs to.</summary>
    internal List<MeshSidecarResource> Sidecars { get; } = [];

    /// <summary>A client of the control plane's HTTP API with its token, for the AppHost's own calls to it (buttons, proxy status).</summary>
    internal async Task<HttpClient> CreateApiClientAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(HttpEndpoint.Url), Timeout = timeout };
        if (ApiToken is { } parameter && await parameter.GetValueAsync(cancellationToken) is { Length: > 0 } token)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>What the dashboard's mesh traffic buttons have applied, per service.</summary>
    internal TrafficCommandState TrafficCommandState { get; } = new();
}
