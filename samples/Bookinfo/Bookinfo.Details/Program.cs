using Bookinfo.Details;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

builder.Services.AddSingleton<IDetailsCatalog, DetailsCatalog>();
builder.Services.AddSingleton(FailureInjection.FromConfiguration(builder.Configuration));

var app = builder.Build();

app.MapDefaultEndpoints();

// The id is taken as text so that a non-numeric one gets Istio's error body rather than a bare 404.
app.MapGet("/details/{id}", (string id, IDetailsCatalog catalog, FailureInjection failures) =>
    failures.NextFails()
        ? Results.Text("details instance failing on purpose (FAILURE_PERCENT)", statusCode: StatusCodes.Status503ServiceUnavailable)
        : int.TryParse(id, out var productId)
            ? Results.Ok(catalog.GetDetails(productId))
            : Results.BadRequest(new { error = "please provide numeric product id" }));

app.Run();
