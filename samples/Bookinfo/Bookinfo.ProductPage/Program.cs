using Bookinfo.ProductPage;
using Bookinfo.ProductPage.Upstreams;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The names below are resolved by service discovery; on the mesh each resolves to this service's own sidecar.
builder.Services.AddHttpClient<DetailsClient>(client => client.BaseAddress = new Uri("http://details"));
builder.Services.AddHttpClient<ReviewsClient>(client => client.BaseAddress = new Uri("http://reviews"));
builder.Services.AddGrpcClient<RatingsGrpc.RatingsClient>(options => options.Address = new Uri("http://ratings"));
builder.Services.AddTransient<RatingsClient>();

var app = builder.Build();

app.MapDefaultEndpoints();

// wwwroot/static/* is served under /static/*, where Istio's productpage keeps its assets.
app.UseStaticFiles();

app.MapProductPage();
app.MapProductApi();

app.Run();
