using System.Text.Json.Nodes;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// http://catalog is resolved by service discovery: in the mesh, to this app's own sidecar.
builder.Services.AddHttpClient("catalog", client => client.BaseAddress = new Uri("http://catalog"));

var app = builder.Build();

app.MapDefaultEndpoints();

app.MapGet("/", async (IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    var catalog = await clients.CreateClient("catalog").GetFromJsonAsync<JsonObject>("/products", cancellationToken);
    var lines = catalog?["products"]?.AsArray().Select(p => $"{p?["name"]}: {p?["price"]}") ?? [];
    return Results.Text($"Shop ({catalog?["edition"]} edition)\n{string.Join('\n', lines)}\n");
});

app.Run();
