using Bookinfo.Ratings;
using Bookinfo.Ratings.Services;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

builder.Services.AddGrpc();
builder.Services.AddSingleton<IRatingsStore, InMemoryRatingsStore>();

var app = builder.Build();

app.MapDefaultEndpoints();

app.MapGrpcService<RatingsService>();

// Istio's REST shape, kept for curl and for tests. Kestrel speaks only HTTP/2 here (see appsettings.json),
// so call it with `curl --http2-prior-knowledge http://host:port/ratings/0`.
app.MapGet("/ratings/{id}", (string id, IRatingsStore store) =>
    int.TryParse(id, out var productId)
        ? Results.Ok(new { id = productId, ratings = store.GetRatings(productId) })
        : Results.BadRequest(new { error = "please provide numeric product ID" }));

app.Run();
