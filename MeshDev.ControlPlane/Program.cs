using MeshDev.ControlPlane;

var app = ControlPlaneApp.Build(args);
app.Run();
