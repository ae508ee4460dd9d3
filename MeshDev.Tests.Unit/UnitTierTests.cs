using MeshDev.Tests.Architecture;

namespace MeshDev.Tests;

/// <summary>
/// The unit tier stays a unit tier: its compiled tests reference nothing that opens a socket, starts a process or runs
/// an AppHost. Read from the assembly's compiled references (every type and member it uses from elsewhere), so a test
/// that reaches for one of them fails here, naming it, instead of slowing the first tier down.
/// </summary>
public sealed class UnitTierTests
{
    private static readonly string[] ForbiddenTypes =
    [
        "System.Net.Sockets.Socket",
        "System.Net.Sockets.TcpClient",
        "System.Net.Sockets.TcpListener",
        "System.Net.Sockets.UdpClient",
        "System.Net.Sockets.NetworkStream",
        "System.Net.Http.HttpClient",
        "System.Net.Http.SocketsHttpHandler",
        "System.Net.Http.HttpClientHandler",
        "System.Diagnostics.Process",
        "Grpc.Net.Client.GrpcChannel",
        "Aspire.Hosting.Testing.",
        "Microsoft.Playwright.",
        "DotNet.Testcontainers.",
        // MeshDev's own real parts and the shared test hosts that run them.
        "MeshDev.Tests.ControlPlane.ControlPlaneHost",
        "MeshDev.Tests.ControlPlane.ControlPlaneProcess",
        "MeshDev.Tests.ControlPlane.TestProxy",
        "MeshDev.Tests.Proxy.Infrastructure.ProxyProcess",
        "MeshDev.Tests.Proxy.Infrastructure.TestBackend",
        "MeshDev.Tests.Proxy.Infrastructure.ScriptedControlPlane",
        "MeshDev.Tests.Proxy.Infrastructure.ScriptedSidecar",
        "MeshDev.Tests.Proxy.Infrastructure.MutualTlsMesh",
        "MeshDev.Tests.Proxy.Infrastructure.MeshCa",
        "MeshDev.Tests.Proxy.Infrastructure.TcpMesh",
        "MeshDev.Tests.Proxy.Infrastructure.TcpMutualTlsMesh",
        "MeshDev.Tests.Proxy.Infrastructure.TcpEchoBackend",
        "MeshDev.Tests.Proxy.Infrastructure.TcpTestClient",
        "MeshDev.Tests.Proxy.Infrastructure.BlackholeEndpoint",
        "MeshDev.Tests.Proxy.Infrastructure.FreePort",
        "MeshDev.Tests.Telemetry.Infrastructure.",
        "MeshDev.Tests.Cli.Meshctl",
    ];

    // Members that run a process or start a host, on types that unit tests may otherwise use.
    private static readonly string[] ForbiddenMembers =
    [
        "MeshDev.Tests.Repository.RunAsync",
        "MeshDev.Tests.Kubernetes.KubernetesTree.RenderAsync",
        "MeshDev.Tests.Kubernetes.KubernetesTree.ValidateSchemasAsync",
        "MeshDev.Tests.Kubernetes.KubernetesTree.PublishAsync",
        "Microsoft.AspNetCore.Builder.WebApplication.StartAsync",
        "Microsoft.AspNetCore.Builder.WebApplication.RunAsync",
        "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.StartAsync",
        "Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.RunAsync",
    ];

    [Fact]
    public void Unit_tests_reference_nothing_that_opens_a_socket_or_starts_a_process()
    {
        var found = ReferencedNames(CompiledReferences.Of(typeof(UnitTierTests).Assembly));

        var offending = found
            .Where(name => ForbiddenTypes.Any(t => t.EndsWith('.')
                               ? name.StartsWith(t, StringComparison.Ordinal)
                               : name == t || name.StartsWith(t + ".", StringComparison.Ordinal) || name.StartsWith(t + "+", StringComparison.Ordinal))
                           || ForbiddenMembers.Contains(name))
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.True(found.Count > 100, $"Only {found.Count} references read from the unit test assembly; the reader is broken.");
        Assert.True(offending.Length == 0,
            "Unit tests must not use sockets, processes or hosts; move these tests to MeshDev.Tests.Component or " +
            "MeshDev.Tests.EndToEnd, or use an in-memory part instead:\n  " + string.Join("\n  ", offending));
    }

    /// <summary>Full names of every type the assembly uses from another assembly, and "Type.Member" of every member it uses there.</summary>
    private static HashSet<string> ReferencedNames(CompiledReferences references)
    {
        bool Elsewhere(CompiledType type) => type.Assembly != references.AssemblyName;
        return references.Types
            .SelectMany(t => references.TypesUsedBy(t).Where(Elsewhere).Select(u => u.FullName)
                .Concat(references.MembersUsedBy(t).Where(m => Elsewhere(m.Type)).Select(m => m.ToString())))
            .ToHashSet(StringComparer.Ordinal);
    }
}
