using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// A stand-in control plane for bench/mtls.sh: the proxies' side of the wire contract, nothing more. It pushes one
// fixed snapshot per proxy and signs CSRs with a CA made in memory at start. Usage:
//   dotnet MeshDev.Bench.MtlsControlPlane.dll <grpc port> <mtls server inbound host:port> <plaintext server inbound host:port>
// Proxies "client-mtls" and "client-plain" get a cluster "backend" whose one endpoint is the matching server
// sidecar: with its SPIFFE ID (auto mTLS) for the first, with cluster TLS DISABLE for the second. A proxy's token
// must be "bench-token-<service>"; it proves spiffe://cluster.local/ns/default/sa/<service>.
if (args.Length != 3 || !int.TryParse(args[0], out var port))
{
    Console.Error.WriteLine("usage: MeshDev.Bench.MtlsControlPlane <grpc port> <mtls server inbound host:port> <plaintext server inbound host:port>");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
builder.Services.AddSingleton(new BenchCertificateAuthority());
builder.Services.AddSingleton(new BenchTopology(args[1], args[2]));
var app = builder.Build();
app.MapGrpcService<BenchDiscovery>();
app.MapGrpcService<BenchCertificates>();
await app.RunAsync();
return 0;

internal sealed record BenchTopology(string MtlsServer, string PlaintextServer)
{
    public ProxySnapshot For(ProxyHello hello, string trustBundlePem)
    {
        var snapshot = new ProxySnapshot { Version = "bench-1", TrustBundlePem = { trustBundlePem } };
        var (address, identity, tls) = hello.Service switch
        {
            "client-mtls" => (MtlsServer, "spiffe://cluster.local/ns/default/sa/server-mtls", ClusterTlsMode.Unspecified),
            "client-plain" => (PlaintextServer, "spiffe://cluster.local/ns/default/sa/server-plain", ClusterTlsMode.Disable),
            _ => ("", "", ClusterTlsMode.Unspecified),
        };
        if (address.Length > 0)
        {
            snapshot.Clusters.Add(new Cluster
            {
                Name = "backend",
                Protocol = ServiceProtocol.Http,
                Tls = new ClusterTls { Mode = tls },
                Endpoints = { new MeshDev.Core.Discovery.Endpoint { Address = address, Healthy = true, ProxyId = "server", Identity = identity } },
            });
        }

        return snapshot;
    }
}

internal sealed class BenchDiscovery(BenchTopology topology, BenchCertificateAuthority authority) : MeshDiscovery.MeshDiscoveryBase
{
    public override async Task StreamConfig(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlPlaneMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.Hello is not { } hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be a hello"));
        }

        await responseStream.WriteAsync(new ControlPlaneMessage { Nonce = "1", Snapshot = topology.For(hello, authority.RootPem) });
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                // ACKs and health reports need no answer here.
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }
}

internal sealed class BenchCertificates(BenchCertificateAuthority authority) : MeshCertificates.MeshCertificatesBase
{
    public override Task<SignCertificateResponse> SignCertificate(SignCertificateRequest request, ServerCallContext context)
    {
        const string prefix = "Bearer bench-token-";
        var authorization = context.RequestHeaders.GetValue("authorization") ?? "";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "expected a bench-token-<service> bootstrap token"));
        }

        var identity = new SpiffeId("cluster.local", "default", authorization[prefix.Length..]);
        return Task.FromResult(authority.Sign(request, identity));
    }
}

/// <summary>An in-memory root that signs each CSR's key for the identity its token names, for 24 hours.</summary>
internal sealed class BenchCertificateAuthority
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;

    public BenchCertificateAuthority()
    {
        var request = new CertificateRequest("CN=MeshDev benchmark CA", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        _root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7));
        RootPem = _root.ExportCertificatePem();
    }

    public string RootPem { get; }

    public SignCertificateResponse Sign(SignCertificateRequest request, SpiffeId identity)
    {
        var csr = CertificateRequest.LoadSigningRequestPem(request.CsrPem, HashAlgorithmName.SHA256);
        var leaf = new CertificateRequest(csr.SubjectName, csr.PublicKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(identity.ToUri());
        leaf.CertificateExtensions.Add(names.Build(critical: true));
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        using var signed = leaf.Create(_root.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-1), now.AddHours(24), serial);
        return new SignCertificateResponse { CertificateChainPem = { signed.ExportCertificatePem() }, TrustBundlePem = { RootPem } };
    }
}
