using Bookinfo.Reviews;
using Bookinfo.Reviews.Ratings;
using RatingsGrpc = Bookinfo.Ratings.V1.Ratings;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// Read once at startup so that a bad value stops the service with a message naming the key.
var settings = ReviewsSettings.FromConfiguration(builder.Configuration);
builder.Services.AddSingleton(settings);

// "http://ratings" is resolved by service discovery; on the mesh it is this service's own sidecar. Ratings speaks
// HTTP/2 only (it serves gRPC), so the REST call goes over HTTP/2 with prior knowledge too.
if (settings.RatingsProtocol == ReviewsSettings.GrpcRatings)
{
    builder.Services.AddGrpcClient<RatingsGrpc.RatingsClient>(options => options.Address = new Uri("http://ratings"));
    builder.Services.AddSingleton<IRatingsClient, GrpcRatingsClient>();
}
else
{
    builder.Services.AddHttpClient<IRatingsClient, HttpRatingsClient>(client =>
    {
        client.BaseAddress = new Uri("http://ratings");
        client.DefaultRequestVersion = System.Net.HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
    });
}

var app = builder.Build();

app.Logger.LogInformation("reviews {ServiceVersion} as {InstanceName}: ratings {RatingsEnabled} over {RatingsProtocol}, stars {StarColor}, ratings timeout {RatingsTimeout}",
    settings.ServiceVersion, settings.InstanceName, settings.RatingsEnabled, settings.RatingsProtocol, settings.StarColor, settings.RatingsTimeout);

app.MapDefaultEndpoints();

app.MapReviewsApi();

app.Run();
