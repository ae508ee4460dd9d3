using Bookinfo.Reviews;
using Bookinfo.Reviews.Ratings;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// Read once at startup so that a bad value stops the service with a message naming the key.
var settings = ReviewsSettings.FromConfiguration(builder.Configuration);
builder.Services.AddSingleton(settings);

// "http://ratings" is resolved by service discovery; on the mesh it is this service's own sidecar.
builder.Services.AddGrpcClient<RatingsGrpc.RatingsClient>(options => options.Address = new Uri("http://ratings"));
builder.Services.AddSingleton<IRatingsClient, GrpcRatingsClient>();

var app = builder.Build();

app.Logger.LogInformation("reviews {ServiceVersion} as {InstanceName}: ratings {RatingsEnabled}, stars {StarColor}, ratings timeout {RatingsTimeout}",
    settings.ServiceVersion, settings.InstanceName, settings.RatingsEnabled, settings.StarColor, settings.RatingsTimeout);

app.MapDefaultEndpoints();

app.MapReviewsApi();

app.Run();
