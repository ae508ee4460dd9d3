using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace MeshDev.Tests;

/// <summary>
/// The unit tier stays a unit tier: its compiled tests reference nothing that opens a socket, starts a process or runs
/// an AppHost. Read from the assembly's own metadata (every type and member it references from elsewhere), so a test
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
        var found = ReferencedNames(typeof(UnitTierTests).Assembly.Location);

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

    /// <summary>Full names of every type the assembly references from another assembly, and "Type.Member" of every member it calls there.</summary>
    private static HashSet<string> ReferencedNames(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in metadata.TypeReferences)
        {
            names.Add(FullName(metadata, metadata.GetTypeReference(handle)));
        }
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (ParentType(metadata, member.Parent) is { } parent)
            {
                names.Add($"{parent}.{metadata.GetString(member.Name)}");
            }
        }
        return names;
    }

    private static string? ParentType(MetadataReader metadata, EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => FullName(metadata, metadata.GetTypeReference((TypeReferenceHandle)parent)),
        // A member of a generic instantiation: the generic type it instantiates.
        HandleKind.TypeSpecification => GenericTypeOf(metadata, (TypeSpecificationHandle)parent),
        _ => null,
    };

    private static string? GenericTypeOf(MetadataReader metadata, TypeSpecificationHandle handle)
    {
        var blob = metadata.GetBlobReader(metadata.GetTypeSpecification(handle).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance)
        {
            return null;
        }
        blob.ReadSignatureTypeCode(); // class or value type
        var generic = blob.ReadTypeHandle();
        return generic.Kind == HandleKind.TypeReference ? FullName(metadata, metadata.GetTypeReference((TypeReferenceHandle)generic)) : null;
    }

    private static string FullName(MetadataReader metadata, TypeReference type)
    {
        var name = metadata.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return FullName(metadata, metadata.GetTypeReference((TypeReferenceHandle)type.ResolutionScope)) + "+" + name;
        }
        var ns = metadata.GetString(type.Namespace);
        return ns.Length == 0 ? name : $"{ns}.{name}";
    }
}
