using System.Reflection;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Push.Delivery;

namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// The control plane's config-to-proxy path runs one way, as its build output says: config and registry know nothing
/// of pushing, compiling knows nothing of delivering, and the push scheduler is the one that starts pushes.
/// </summary>
public sealed class PushDependencyTests
{
    private static readonly Assembly ControlPlane = typeof(ControlPlaneApp).Assembly;

    private static bool In(Type type, string @namespace) =>
        type.Namespace is { } ns && (ns == @namespace || ns.StartsWith(@namespace + ".", StringComparison.Ordinal));

    [Theory]
    [InlineData("MeshDev.ControlPlane.Config", "MeshDev.ControlPlane.Push")]
    [InlineData("MeshDev.ControlPlane.Registry", "MeshDev.ControlPlane.Push")]
    [InlineData("MeshDev.ControlPlane.Push.Compiling", "MeshDev.ControlPlane.Push.Delivery")]
    public void A_part_does_not_refer_to_the_part_it_feeds(string from, string to)
    {
        var types = ControlPlane.GetTypes().Where(t => In(t, from)).ToList();

        var references = types
            .SelectMany(t => TypeReferences.Of(t).Where(r => In(r, to)).Select(r => $"{t.FullName} refers to {r.FullName}"))
            .Distinct()
            .ToList();

        Assert.NotEmpty(types);
        Assert.Empty(references);
    }

    [Fact]
    public void The_reading_sees_references_made_only_inside_method_bodies()
    {
        // ControlPlaneApp names PushScheduler only as a generic argument in Build's body; ProxyConnection names the compiler in its signature.
        Assert.Contains(typeof(PushScheduler), TypeReferences.Of(typeof(ControlPlaneApp)));
        Assert.Contains(TypeReferences.Of(typeof(ProxyConnection)), t => In(t, "MeshDev.ControlPlane.Push.Compiling"));
    }

    [Fact]
    public void The_push_scheduler_is_the_one_subscriber_of_the_change_signal_and_the_one_that_asks_streams_to_push()
    {
        var subscribe = typeof(MeshChangeSignal).GetEvent(nameof(MeshChangeSignal.Changed))!.AddMethod!;
        var requestPush = typeof(ProxyConnection).GetMethod(nameof(ProxyConnection.RequestPush))!;

        Assert.Equal([typeof(PushScheduler)], TypeReferences.CallersOf(ControlPlane, subscribe).Select(m => TypeReferences.Outermost(m.DeclaringType!)).Distinct());
        Assert.Equal([typeof(PushScheduler)], TypeReferences.CallersOf(ControlPlane, requestPush).Select(m => TypeReferences.Outermost(m.DeclaringType!)).Distinct());
    }
}
