using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.Tests.Architecture;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// The control plane's config-to-proxy path runs one way, as its build output says: config and registry know nothing
/// of pushing, compiling knows nothing of delivering, and the push scheduler is the one that starts pushes.
/// </summary>
public sealed class PushDependencyTests
{
    private static readonly CompiledReferences ControlPlane = CompiledReferences.Of(typeof(ControlPlaneApp).Assembly);

    [Theory]
    [InlineData("MeshDev.ControlPlane.Config", "MeshDev.ControlPlane.Push")]
    [InlineData("MeshDev.ControlPlane.Registry", "MeshDev.ControlPlane.Push")]
    [InlineData("MeshDev.ControlPlane.Push.Compiling", "MeshDev.ControlPlane.Push.Delivery")]
    public void A_part_does_not_refer_to_the_part_it_feeds(string from, string to)
    {
        var types = ControlPlane.Types.Where(t => t.In(from)).ToList();

        var references = types
            .SelectMany(t => ControlPlane.TypesUsedBy(t).Where(r => r.In(to)).Select(r => $"{t.FullName} refers to {r.FullName}"))
            .Distinct()
            .ToList();

        Assert.NotEmpty(types);
        Assert.True(references.Count == 0, $"{from} must not refer to {to}:\n" + string.Join('\n', references));
    }

    [Fact]
    public void The_reading_sees_references_made_only_inside_method_bodies()
    {
        // ControlPlaneApp names PushScheduler only as a generic argument in Build's body; ProxyConnection names the compiler in its signature.
        Assert.Contains(ControlPlane.TypesUsedBy(typeof(ControlPlaneApp)), t => t.Is(typeof(PushScheduler)));
        Assert.Contains(ControlPlane.TypesUsedBy(typeof(ProxyConnection)), t => t.In("MeshDev.ControlPlane.Push.Compiling"));
    }

    [Fact]
    public void The_push_scheduler_is_the_one_subscriber_of_the_change_signal_and_the_one_that_asks_streams_to_push()
    {
        var subscribe = typeof(MeshChangeSignal).GetEvent(nameof(MeshChangeSignal.Changed))!.AddMethod!;
        var requestPush = typeof(ProxyConnection).GetMethod(nameof(ProxyConnection.RequestPush))!;

        Assert.Equal([typeof(PushScheduler).FullName], ControlPlane.CallersOf(subscribe).Select(m => m.Outermost.FullName).Distinct());
        Assert.Equal([typeof(PushScheduler).FullName], ControlPlane.CallersOf(requestPush).Select(m => m.Outermost.FullName).Distinct());
    }
}
