using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Hosting;

namespace MeshDev.Tests.Hosting;

/// <summary>What WithMeshSidecar, WithMeshReference and AddMeshGateway put into an Aspire application model.</summary>
public sealed class HostingModelTests
{
    [Fact]
    public void A_sidecar_is_a_child_of_its_app_waits_for_the_control_plane_and_is_healthy_by_its_ready_endpoint()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var app = AddApp(builder, "orders-v1").WithMeshSidecar(mesh, service: "orders", labels: new Dictionary<string, string> { ["version"] = "v1" });

        var sidecar = builder.Resources.OfType<MeshSidecarResource>().Single();
        Assert.Equal("orders-v1-sidecar", sidecar.Name);
        Assert.Same(app.Resource, sidecar.App);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "orders", ["version"] = "v1" }, sidecar.Labels);

        var parent = Assert.Single(sidecar.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent");
        Assert.Same(app.Resource, parent.Resource);
        var wait = Assert.Single(sidecar.Annotations.OfType<WaitAnnotation>());
        Assert.Same(mesh.Resource, wait.Resource);
        Assert.Contains(sidecar.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        Assert.Contains(sidecar.Annotations.OfType<EndpointAnnotation>(), e => e.Name == MeshSidecarResource.InboundEndpointName);
        Assert.Contains(sidecar.Annotations.OfType<EndpointAnnotation>(), e => e.Name == MeshSidecarResource.AdminEndpointName);
    }

    [Fact]
    public void An_app_in_the_mesh_gets_the_mesh_traffic_buttons_and_route_to_version_needs_a_version_label()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var versioned = AddApp(builder, "orders-v2").WithMeshSidecar(mesh, service: "orders", labels: new Dictionary<string, string> { ["version"] = "v2" });
        var unversioned = AddApp(builder, "web").WithMeshSidecar(mesh);

        var commands = versioned.Resource.Annotations.OfType<ResourceCommandAnnotation>().ToDictionary(c => c.Name);
        Assert.Equal("Inject 50% HTTP 503", commands["mesh-inject-503"].DisplayName);
        Assert.Equal("Inject 2 s delay", commands["mesh-inject-delay"].DisplayName);
        Assert.Equal("Route all to this version", commands["mesh-route-to-version"].DisplayName);
        Assert.Equal("Clear mesh rules", commands["mesh-clear-rules"].DisplayName);

        var snapshot = new CustomResourceSnapshot { ResourceType = "Project", Properties = [] };
        var context = new UpdateCommandStateContext { ResourceSnapshot = snapshot, Services = EmptyServices.Instance };
        Assert.Equal(ResourceCommandState.Enabled, commands["mesh-route-to-version"].UpdateState(context));
        var route = unversioned.Resource.Annotations.OfType<ResourceCommandAnnotation>().Single(c => c.Name == "mesh-route-to-version");
        Assert.Equal(ResourceCommandState.Disabled, route.UpdateState(context));
    }

    [Fact]
    public void A_mesh_reference_opens_one_outbound_listener_per_service_and_points_service_discovery_at_it()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var v1 = AddApp(builder, "reviews-v1").WithMeshSidecar(mesh, service: "reviews");
        var v2 = AddApp(builder, "reviews-v2").WithMeshSidecar(mesh, service: "reviews");
        var web = AddApp(builder, "web").WithMeshSidecar(mesh).WithMeshReference(v1).WithMeshReference(v2);

        var sidecar = builder.Resources.OfType<MeshSidecarResource>().Single(s => s.App == web.Resource);
        var outbound = sidecar.Annotations.OfType<EndpointAnnotation>().Where(e => e.Name.StartsWith("outbound-", StringComparison.Ordinal));
        Assert.Equal(["outbound-reviews"], outbound.Select(e => e.Name));
    }

    [Fact]
    public void Referencing_a_resource_outside_the_mesh_fails_at_build_time_naming_both()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var cache = AddApp(builder, "cache");
        var web = AddApp(builder, "web").WithMeshSidecar(mesh);

        var error = Assert.Throws<DistributedApplicationException>(() => web.WithMeshReference(cache));
        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'cache'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in the mesh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Referencing_from_an_app_outside_the_mesh_fails_naming_both()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var api = AddApp(builder, "api").WithMeshSidecar(mesh);
        var web = AddApp(builder, "web");

        var error = Assert.Throws<DistributedApplicationException>(() => web.WithMeshReference(api));
        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'api'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Instances_of_one_service_must_share_its_protocol()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        AddApp(builder, "ratings-v1").WithMeshSidecar(mesh, service: "ratings", protocol: MeshProtocol.Grpc);

        var error = Assert.Throws<DistributedApplicationException>(
            () => AddApp(builder, "ratings-v2").WithMeshSidecar(mesh, service: "ratings", protocol: MeshProtocol.Http));
        Assert.Contains("'ratings-v2'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ratings-v1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tcp_service_gets_tcp_listeners_and_its_callers_a_tcp_service_discovery_entry()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var db = builder.AddExecutable("db", "true", ".").WithEndpoint(name: "tcp", scheme: "tcp")
            .WithMeshSidecar(mesh, protocol: MeshProtocol.Tcp, servicePort: 5432, appEndpointName: "tcp");
        var web = AddApp(builder, "web").WithMeshSidecar(mesh).WithMeshReference(db);
        var port = 20000;
        foreach (var endpoint in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()))
        {
            // What the orchestrator would do at start: a proxied port in front of a target port for each endpoint.
            endpoint.TargetPort ??= port + 1000;
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", port++);
        }

        var dbSidecar = builder.Resources.OfType<MeshSidecarResource>().Single(s => s.App == db.Resource);
        var webSidecar = builder.Resources.OfType<MeshSidecarResource>().Single(s => s.App == web.Resource);
        Assert.Equal(MeshProtocol.Tcp, dbSidecar.Protocol);
        Assert.Equal("tcp", dbSidecar.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == MeshSidecarResource.InboundEndpointName).UriScheme);
        Assert.Equal("tcp", webSidecar.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "outbound-db").UriScheme);

        var dbSidecarEnv = await EnvironmentOf(dbSidecar);
        Assert.Equal("tcp", dbSidecarEnv["Mesh__Inbound__Protocol"]);
        Assert.Equal("5432", dbSidecarEnv["Mesh__Inbound__ServicePort"]);
        Assert.StartsWith("tcp://localhost:", dbSidecarEnv["Mesh__App__Address"], StringComparison.Ordinal);
        Assert.Equal("tcp", (await EnvironmentOf(webSidecar))["Mesh__Outbound__db__Protocol"]);

        var webEnv = await EnvironmentOf(web.Resource);
        Assert.StartsWith("tcp://localhost:", webEnv["services__db__tcp__0"], StringComparison.Ordinal);
        Assert.DoesNotContain("services__db__http__0", webEnv.Keys);
    }

    [Fact]
    public void A_gateway_needs_a_control_plane()
    {
        var builder = DistributedApplication.CreateBuilder();
        var error = Assert.Throws<DistributedApplicationException>(() => builder.AddMeshGateway("gateway"));
        Assert.Contains("'gateway'", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddMeshControlPlane", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_directory_must_exist_and_is_kept_relative_to_the_AppHost()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mesh = builder.AddMeshControlPlane("mesh");
        var error = Assert.Throws<DistributedApplicationException>(() => mesh.WithMeshConfigDirectory("no/such/folder"));
        Assert.Contains("no/such/folder", error.Message, StringComparison.Ordinal);

        var folder = Directory.CreateTempSubdirectory("meshdev-config-");
        try
        {
            mesh.WithMeshConfigDirectory(folder.FullName);
            Assert.False(Path.IsPathRooted(mesh.Resource.ConfigDirectory));
            Assert.Equal(folder.FullName, Path.GetFullPath(mesh.Resource.ConfigDirectory!, builder.AppHostDirectory));
        }
        finally
        {
            folder.Delete();
        }
    }

    [Fact]
    public void The_proxy_and_control_plane_programs_travel_beside_MeshDev_Hosting()
    {
        // An AppHost that references only MeshDev.Hosting gets both programs in its output.
        var hostingDirectory = Path.GetDirectoryName(typeof(MeshSidecarResource).Assembly.Location)!;
        Assert.True(File.Exists(Path.Combine(hostingDirectory, "meshdev", "proxy", "MeshDev.Proxy.dll")));
        Assert.True(File.Exists(Path.Combine(hostingDirectory, "meshdev", "proxy", "MeshDev.Proxy.runtimeconfig.json")));
        Assert.True(File.Exists(Path.Combine(hostingDirectory, "meshdev", "controlplane", "MeshDev.ControlPlane.dll")));
    }

    /// <summary>The environment a resource would be started with, as Aspire resolves it for a run.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentOf(IResource resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        Assert.Null(configuration.Exception);
        return configuration.EnvironmentVariables.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    private static IResourceBuilder<ExecutableResource> AddApp(IDistributedApplicationBuilder builder, string name) =>
        builder.AddExecutable(name, "true", ".").WithHttpEndpoint(name: "http");
}

/// <summary>The command state callbacks here need no services.</summary>
file sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
