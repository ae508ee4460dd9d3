using System.Net;
using MeshDev.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace MeshDev.Tests.ControlPlane;

/// <summary>The control plane's listeners (dashboard and API, gRPC with the CA) stay on loopback unless told otherwise.</summary>
public sealed class ListenerBindingTests
{
    [Fact]
    public async Task With_OS_chosen_ports_every_listener_binds_loopback_only()
    {
        await using var host = await ControlPlaneHost.StartAsync();
        AssertLoopbackOnly(host);
    }

    [Fact]
    public async Task With_fixed_ports_every_listener_binds_loopback_only()
    {
        int[] ports = [Proxy.Infrastructure.FreePort.Next(), Proxy.Infrastructure.FreePort.Next()];
        await using var host = await ControlPlaneHost.StartAsync(extraArgs:
        [
            $"--{MeshEnvironment.ControlPlane.HttpPort}={ports[0]}",
            $"--{MeshEnvironment.ControlPlane.GrpcPort}={ports[1]}",
        ]);
        AssertLoopbackOnly(host);
    }

    private static void AssertLoopbackOnly(ControlPlaneHost host)
    {
        var addresses = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Assert.Equal(2, addresses.Select(a => new Uri(a).Port).Distinct().Count());
        foreach (var address in addresses)
        {
            var hostName = new Uri(address).Host;
            Assert.True(hostName == "localhost" || (IPAddress.TryParse(hostName.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)),
                $"The control plane listens on {address}, which is not loopback.");
        }
    }
}
