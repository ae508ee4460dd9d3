using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Tests.ControlPlane;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>A workload that goes away leaves the load-balancing set of every caller, and the page keeps working.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RegistryConvergenceTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>
{
    [Fact]
    public async Task Stopping_reviews_v2_leaves_v1_and_v3_serving_every_page()
    {
        var stopwatch = Stopwatch.StartNew();
        var stop = mesh.ExecuteAsync("reviews-v2", KnownResourceCommands.StopCommand);

        // Converged: the caller's own applied snapshot no longer offers reviews-v2 as a healthy endpoint. Watched
        // while the stop runs, since the sidecar's health probe can notice before Aspire reports the stop done.
        await Eventually.TrueAsync(async () => !await ReviewsV2IsOfferedToProductpageAsync(),
            "productpage's sidecar to stop offering reviews-v2", TimeSpan.FromSeconds(60));
        var converged = stopwatch.Elapsed;
        await stop;
        output.WriteLine($"productpage's sidecar stopped offering reviews-v2 {converged.TotalMilliseconds:F0} ms after the stop was " +
            $"issued; Aspire's stop command returned after {stopwatch.Elapsed.TotalMilliseconds:F0} ms");

        var servedBy = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            servedBy.Add((await mesh.GetReviewedPageAsync()).ServedBy);
        }
        Assert.Equal(["reviews-v1", "reviews-v3"], servedBy.Order());

        var services = await mesh.Http.GetFromJsonAsync<JsonElement[]>(new Uri(BookinfoAppFixture.ControlPlane, "/api/v1/services"));
        var reviews = services!.Single(service => service.GetProperty("name").GetString() == "reviews");
        var v2 = reviews.GetProperty("instances").EnumerateArray()
            .Single(instance => instance.GetProperty("labels").GetProperty("version").GetString() == "v2");
        Assert.False(v2.GetProperty("healthy").GetBoolean());
    }

    private async Task<bool> ReviewsV2IsOfferedToProductpageAsync()
    {
        var dump = await mesh.GetConfigDumpAsync("productpage-v1-sidecar");
        var reviews = dump.GetProperty("snapshot").GetProperty("clusters").EnumerateArray()
            .Single(cluster => cluster.GetProperty("name").GetString() == "reviews");
        return reviews.GetProperty("endpoints").EnumerateArray().Any(endpoint =>
            endpoint.GetProperty("labels").GetProperty("version").GetString() == "v2"
            && endpoint.GetProperty("healthy").GetBoolean());
    }
}
