using Aspire.Hosting.ApplicationModel;
using MeshDev.Hosting;

namespace MeshDev.AppHost;

/// <summary>
/// Istio's Bookinfo sample on the mesh, with the workload names, labels, service accounts (bookinfo-&lt;service&gt;) and
/// service port (9080) of Istio's own deployment, so that Istio's Bookinfo config files, policies included, apply to
/// it unchanged.
/// </summary>
internal static class BookinfoExtensions
{
    private const int BookinfoServicePort = 9080;

    public static IDistributedApplicationBuilder AddBookinfo(this IDistributedApplicationBuilder builder, IResourceBuilder<MeshControlPlaneResource> mesh)
    {
        var ratings = builder.AddProject<Projects.Bookinfo_Ratings>("ratings-v1")
            .WithMeshSidecar(mesh, service: "ratings", labels: Version("v1"), protocol: MeshProtocol.Grpc, servicePort: BookinfoServicePort,
                serviceAccount: "bookinfo-ratings");

        var details = builder.AddProject<Projects.Bookinfo_Details>("details-v1")
            .WithMeshSidecar(mesh, service: "details", labels: Version("v1"), servicePort: BookinfoServicePort, serviceAccount: "bookinfo-details")
            .WithHttpHealthCheck("/health");

        // One project, three workloads of the one mesh service "reviews", configured the way Istio's images are.
        var reviews = builder.AddReviews(mesh, "v1", ratings: null, starColor: null, ratingsTimeout: null);
        builder.AddReviews(mesh, "v2", ratings, starColor: "black", ratingsTimeout: TimeSpan.FromSeconds(10));
        builder.AddReviews(mesh, "v3", ratings, starColor: "red", ratingsTimeout: TimeSpan.FromMilliseconds(2500));

        builder.AddProject<Projects.Bookinfo_ProductPage>("productpage-v1")
            .WithMeshSidecar(mesh, service: "productpage", labels: Version("v1"), servicePort: BookinfoServicePort, serviceAccount: "bookinfo-productpage")
            .WithMeshReference(details)
            // Any instance names the service: the sidecar balances over reviews v1, v2 and v3.
            .WithMeshReference(reviews)
            .WithMeshReference(ratings)
            .WithHttpHealthCheck("/health");

        // Routed by Istio's bookinfo-gateway.yaml (Gateway + VirtualService) in the mesh config folder; runs as Istio's
        // ingress gateway does, as istio-ingressgateway-service-account in istio-system.
        builder.AddMeshGateway("gateway", port: 9080);

        return builder;
    }

    private static IResourceBuilder<ProjectResource> AddReviews(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<MeshControlPlaneResource> mesh,
        string version,
        IResourceBuilder<ProjectResource>? ratings,
        string? starColor,
        TimeSpan? ratingsTimeout)
    {
        var name = $"reviews-{version}";
        var reviews = builder.AddProject<Projects.Bookinfo_Reviews>(name)
            .WithEnvironment("SERVICE_VERSION", version)
            .WithEnvironment("INSTANCE_NAME", name)
            .WithEnvironment("ENABLE_RATINGS", (ratings is not null).ToString().ToLowerInvariant())
            .WithMeshSidecar(mesh, service: "reviews", labels: Version(version), servicePort: BookinfoServicePort, serviceAccount: "bookinfo-reviews")
            .WithHttpHealthCheck("/health");
        if (starColor is not null)
        {
            reviews.WithEnvironment("STAR_COLOR", starColor);
        }
        if (ratingsTimeout is { } timeout)
        {
            reviews.WithEnvironment("RATINGS_TIMEOUT", ((int)timeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (ratings is not null)
        {
            reviews.WithMeshReference(ratings);
        }
        return reviews;
    }

    private static Dictionary<string, string> Version(string version) => new() { ["version"] = version };
}
