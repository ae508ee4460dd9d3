using System.Collections.Concurrent;
using MeshDev.ControlPlane.Push.Compiling;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Discovery;
using Microsoft.Extensions.DependencyInjection;
using Endpoint = MeshDev.Core.Discovery.Endpoint;

namespace MeshDev.Tests.Faults;

/// <summary>
/// Deliberate fault injection for tests: the snapshots of the listed proxies get an endpoint whose address cannot be
/// parsed, so a test can drive a real proxy down its NACK path (reject, report the reason, keep the last good
/// snapshot) and back. Nothing in the shipped control plane produces invalid snapshots.
/// </summary>
public sealed class InvalidSnapshotFaults
{
    public const string InvalidAddress = "not-an-address";
    public const string FaultClusterName = "fault-injected";
    public const string FaultEndpointId = "fault-injected";

    private readonly ConcurrentDictionary<string, bool> _proxyIds = new(StringComparer.Ordinal);

    public InvalidSnapshotFaults(IEnumerable<string> proxyIds)
    {
        foreach (var proxyId in proxyIds)
        {
            _proxyIds[proxyId] = true;
        }
    }

    /// <returns>Whether the set changed.</returns>
    public bool Enable(string proxyId) => _proxyIds.TryAdd(proxyId, true);

    /// <returns>Whether the set changed.</returns>
    public bool Disable(string proxyId) => _proxyIds.TryRemove(proxyId, out _);

    public bool AppliesTo(string proxyId) => _proxyIds.ContainsKey(proxyId);
}

/// <summary>The real compiler, then the fault on top for the proxies that have one; the version is the faulty content's.</summary>
public sealed class FaultInjectingSnapshotCompiler(ISnapshotCompiler inner, InvalidSnapshotFaults faults) : ISnapshotCompiler
{
    public ProxySnapshot Compile(Workload proxy, SnapshotInputs inputs)
    {
        var snapshot = inner.Compile(proxy, inputs);
        if (!faults.AppliesTo(proxy.ProxyId))
        {
            return snapshot;
        }

        var cluster = snapshot.Clusters.FirstOrDefault();
        if (cluster is null)
        {
            cluster = new Cluster { Name = InvalidSnapshotFaults.FaultClusterName };
            snapshot.Clusters.Add(cluster);
        }

        cluster.Endpoints.Add(new Endpoint { ProxyId = InvalidSnapshotFaults.FaultEndpointId, Address = InvalidSnapshotFaults.InvalidAddress, Healthy = true });
        snapshot.Version = SnapshotVersion.Compute(snapshot);
        return snapshot;
    }
}

public static class InvalidSnapshotFaultsServiceCollectionExtensions
{
    /// <summary>
    /// Wraps the control plane's <see cref="ISnapshotCompiler"/> with the fault, on from the start for <paramref name="proxyIds"/>:
    /// the one registered (tests' configureServices runs after the control plane's own registrations), or, from a hosting
    /// startup that runs before them, <see cref="SnapshotCompiler"/>, which the control plane then leaves in place.
    /// </summary>
    public static IServiceCollection AddInvalidSnapshotFaults(this IServiceCollection services, params string[] proxyIds)
    {
        var registration = services.LastOrDefault(d => d.ServiceType == typeof(ISnapshotCompiler));
        var compilerType = registration?.ImplementationType ?? typeof(SnapshotCompiler);
        if (registration is not null)
        {
            services.Remove(registration);
        }

        services.AddSingleton(new InvalidSnapshotFaults(proxyIds));
        services.AddSingleton<ISnapshotCompiler>(sp => new FaultInjectingSnapshotCompiler(
            (ISnapshotCompiler)ActivatorUtilities.CreateInstance(sp, compilerType), sp.GetRequiredService<InvalidSnapshotFaults>()));
        return services;
    }
}
