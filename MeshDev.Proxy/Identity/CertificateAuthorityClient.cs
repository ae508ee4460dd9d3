using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// Gets a workload certificate from the mesh's CA (MeshCertificates.SignCertificate on the control plane's gRPC
/// address): a fresh P-256 key made here and never sent anywhere, a CSR naming the proxy's SPIFFE ID, and the
/// bootstrap token as "authorization: Bearer" metadata.
/// </summary>
public sealed class CertificateAuthorityClient : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly ProxyOptions _options;
    private readonly WorkloadIdentityOptions _identity;
    private readonly TimeProvider _time;
    private readonly GrpcChannel _channel;
    private readonly MeshCertificates.MeshCertificatesClient _client;

    public CertificateAuthorityClient(ProxyOptions options, TimeProvider time)
    {
        _options = options;
        _identity = options.Identity ?? throw new InvalidOperationException("The proxy has no identity to ask a certificate for.");
        _time = time;
        _channel = GrpcChannel.ForAddress(options.ControlPlaneAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                ConnectTimeout = options.Tuning.ConnectTimeout,
                ActivityHeadersPropagator = null,
            },
            DisposeHttpClient = true,
        });
        _client = new MeshCertificates.MeshCertificatesClient(_channel);
    }

    /// <exception cref="RpcException">The CA refused or could not be reached.</exception>
    /// <exception cref="CertificateResponseException">The CA's answer is unusable.</exception>
    public async Task<WorkloadCertificate> IssueAsync(CancellationToken cancellationToken)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new SignCertificateRequest
            {
                CsrPem = CreateSigningRequest(key),
                ProxyId = _options.ProxyId,
                RequestedLifetimeSeconds = (long)(_identity.RequestedLifetime?.TotalSeconds ?? 0),
            };
            var headers = new Metadata { { "authorization", "Bearer " + _identity.Token.Value } };
            var response = await _client.SignCertificateAsync(request, headers, _time.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken);
            return WorkloadCertificate.FromSigned(
                key, _identity.Id, response.CertificateChainPem, response.TrustBundlePem, _time.GetUtcNow(), Random.Shared.NextDouble());
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A PKCS#10 request whose only name is the SPIFFE ID, as a URI SAN; the subject stays empty, as Istio's.</summary>
    private string CreateSigningRequest(ECDsa key)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(_identity.Id.ToUri());
        request.CertificateExtensions.Add(names.Build(critical: true));
        return request.CreateSigningRequestPem();
    }

    public void Dispose() => _channel.Dispose();
}
