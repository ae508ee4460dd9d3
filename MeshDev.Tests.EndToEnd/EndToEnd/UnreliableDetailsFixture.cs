using Aspire.Hosting;
using Aspire.Hosting.Testing;
using MeshDev.Hosting;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// Bookinfo with four more details instances from the same project, for the resilience tests: details-v2 and
/// details-v3 answer normally, details-v-unavailable answers every request with 503 (the three carry the label
/// <c>pool=outlier</c>), and details-v-faulty answers 30 % of its requests with 503.
/// </summary>
public sealed class UnreliableDetailsFixture : BookinfoAppFixture
{
    public const string OutlierPoolLabel = "outlier";

    private static readonly string[] ExtraDetails = ["details-v2", "details-v3", "details-v-unavailable", "details-v-faulty"];

    public override IReadOnlyList<string> Workloads => [.. base.Workloads, .. ExtraDetails];

    protected override void ConfigureAppHost(IDistributedApplicationTestingBuilder builder)
    {
        var mesh = builder.CreateResourceBuilder(builder.Resources.OfType<MeshControlPlaneResource>().Single());
        var project = Path.Combine(Repository.Root(), "samples", "Bookinfo", "Bookinfo.Details", "Bookinfo.Details.csproj");
        AddDetails("v2", failurePercent: 0, pool: OutlierPoolLabel);
        AddDetails("v3", failurePercent: 0, pool: OutlierPoolLabel);
        AddDetails("v-unavailable", failurePercent: 100, pool: OutlierPoolLabel);
        AddDetails("v-faulty", failurePercent: 30, pool: null);

        void AddDetails(string version, int failurePercent, string? pool)
        {
            var labels = new Dictionary<string, string> { ["version"] = version };
            if (pool is not null)
            {
                labels["pool"] = pool;
            }
            builder.AddProject($"details-{version}", project)
                .WithEnvironment("FAILURE_PERCENT", failurePercent.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithMeshSidecar(mesh, service: "details", labels: labels, servicePort: 9080)
                .WithHttpHealthCheck("/health");
        }
    }
}
