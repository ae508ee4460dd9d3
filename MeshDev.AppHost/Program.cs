using MeshDev.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var mesh = builder.AddMeshControlPlane("mesh")
    .WithMeshConfigDirectory("../samples/Bookinfo/mesh");

builder.AddBookinfo(mesh);

builder.Build().Run();
