var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

var app = builder.Build();

app.MapDefaultEndpoints();

var edition = app.Configuration["CATALOG_EDITION"] ?? "spring";
Product[] products =
[
    new(1, "Kettle", 39.90m),
    new(2, "Teapot", 24.50m),
    new(3, "Mug", 8.00m),
];

app.MapGet("/products", () => Results.Ok(new { edition, products }));

app.Run();

internal sealed record Product(int Id, string Name, decimal Price);
