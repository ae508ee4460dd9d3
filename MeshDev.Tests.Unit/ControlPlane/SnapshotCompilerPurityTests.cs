using Google.Protobuf;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;
using MeshDev.Tests.Architecture;
using MeshDev.Tests.Config;

namespace MeshDev.Tests.ControlPlane;

/// <summary>A snapshot is a function of the config and the registry (and the roots and key sets passed with them), and nothing else.</summary>
public sealed class SnapshotCompilerPurityTests
{
    private static readonly CompiledReferences ControlPlane = CompiledReferences.Of(typeof(SnapshotCompiler).Assembly);

    private static readonly string[] Files =
        ["destination-rule-all.yaml", "virtual-service-reviews-50-v3.yaml", "virtual-service-ratings-test-delay.yaml", "bookinfo-gateway.yaml"];

    private static readonly string[] Roots = ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"];

    private static Workload[] Workloads() =>
    [
        InlineSnapshot.Sidecar("productpage-v1", "productpage", "v1", "127.0.0.1:40100", "reviews", "details"),
        InlineSnapshot.Sidecar("reviews-v1", "reviews", "v1", "127.0.0.1:40101", "ratings"),
        InlineSnapshot.Sidecar("reviews-v3", "reviews", "v3", "127.0.0.1:40103", "ratings"),
        InlineSnapshot.Sidecar("ratings-v1", "ratings", "v1", "127.0.0.1:40104"),
        InlineSnapshot.Sidecar("details-v1", "details", "v1", "127.0.0.1:40105"),
    ];

    /// <summary>Inputs made afresh each time: equal content, no object shared with another call.</summary>
    private static SnapshotInputs Inputs() => new(new MeshConfig(3, ConfigTestData.ParseClean(Files)), Workloads())
    {
        TrustBundlePem = [.. Roots],
        KeySets = new Dictionary<string, string> { ["https://issuer.test/jwks.json"] = """{"keys":[]}""" },
    };

    [Fact]
    public void The_same_config_and_registry_compile_to_the_same_bytes_twice_without_a_store()
    {
        var inputs = Inputs();
        var proxies = inputs.Workloads.Take(2).ToList();

        foreach (var proxy in proxies)
        {
            var first = new SnapshotCompiler().Compile(proxy, inputs).ToByteArray();
            var second = new SnapshotCompiler().Compile(proxy, inputs).ToByteArray();
            var fresh = new SnapshotCompiler().Compile(proxy, Inputs()).ToByteArray();

            Assert.NotEmpty(first);
            Assert.Equal(first, second);
            Assert.Equal(first, fresh);
        }

        // The inputs are all it reads: a different registry view gives a different snapshot.
        var withoutReviewsV3 = inputs with { Workloads = [.. inputs.Workloads.Where(w => w.ProxyId != "reviews-v3")] };
        Assert.NotEqual(
            new SnapshotCompiler().Compile(proxies[0], inputs).Version,
            new SnapshotCompiler().Compile(proxies[0], withoutReviewsV3).Version);
    }

    [Fact]
    public void Compiling_refers_to_no_store_registry_clock_or_io()
    {
        Type[] forbidden = [typeof(IConfigStore), typeof(IWorkloadRegistry), typeof(WorkloadRegistry), typeof(MeshChangeSignal), typeof(TimeProvider)];
        string[] forbiddenNamespaces = ["System.IO", "System.Net", "System.Threading"];
        var compiling = ControlPlane.Types
            .Where(t => t.Namespace.StartsWith(typeof(SnapshotCompiler).Namespace!, StringComparison.Ordinal))
            .ToList();

        var offending = compiling
            .SelectMany(t => ControlPlane.TypesUsedBy(t)
                .Where(r => forbidden.Any(r.Is) || forbiddenNamespaces.Any(r.In))
                .Select(r => $"{t.FullName} refers to {r.FullName}"))
            .Concat(ClockReads().Where(m => compiling.Contains(m.Outermost)).Select(m => $"{m} reads the clock"))
            .Distinct()
            .ToList();

        Assert.Contains(compiling, t => t.Is(typeof(SnapshotCompiler)));
        Assert.True(offending.Count == 0, "compiling refers to a store, the registry, the clock or I/O:\n" + string.Join('\n', offending));
        Assert.All(typeof(SnapshotCompiler).GetConstructors(), c => Assert.Empty(c.GetParameters()));
    }

    private static IEnumerable<CompiledMethod> ClockReads() =>
        new[]
        {
            typeof(DateTime).GetProperty(nameof(DateTime.UtcNow))!, typeof(DateTime).GetProperty(nameof(DateTime.Now))!,
            typeof(DateTimeOffset).GetProperty(nameof(DateTimeOffset.UtcNow))!, typeof(DateTimeOffset).GetProperty(nameof(DateTimeOffset.Now))!,
        }.SelectMany(p => ControlPlane.CallersOf(p.GetMethod!));
}
