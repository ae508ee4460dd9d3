var builder = DistributedApplication.CreateBuilder(args);

// Its own ports, so that it can run beside the Bookinfo AppHost.
var mesh = builder.AddMeshControlPlane("mesh", httpPort: 15090)
    .WithMeshConfigDirectory("../mesh")
    // How `--operation publish` writes the shop for Kubernetes; Mesh:Kubernetes:* settings at publish time win.
    .WithKubernetes(kubernetes => kubernetes with
    {
        Namespace = "shop",
        ImageRegistry = "registry.example.com/shop",
        ImageTag = "1.0.0",
        Replicas = 2,
        GatewayServiceType = "NodePort",
    });

var catalog = builder.AddProject<Projects.Shop_Catalog>("catalog-v1")
    .WithEnvironment("CATALOG_EDITION", "winter")
    .WithMeshSidecar(mesh, service: "catalog", labels: new Dictionary<string, string> { ["version"] = "v1" }, servicePort: 8080)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Shop_Storefront>("storefront")
    .WithMeshSidecar(mesh, servicePort: 8080)
    .WithMeshReference(catalog)
    .WithHttpHealthCheck("/health");

builder.AddMeshGateway("gateway", port: 9090);

builder.Build().Run();
