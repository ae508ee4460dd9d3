using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>
/// A certificate authority made in the test, standing in for the mesh CA on the proxy's side of the wire: it signs
/// the proxies' CSRs for the identity their token names, as the contract says, and mints certificates directly for
/// clients and servers that play attackers (another CA's, expired, someone else's SPIFFE ID). It is a test peer,
/// not the control plane's CA.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;
    private readonly ConcurrentDictionary<string, SpiffeId> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SignCertificateRequest> _requests = new();

    public TestCertificateAuthority(string name = "MeshDev test CA")
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public X509Certificate2 Root { get; }

    public string RootPem => Root.ExportCertificatePem();

    /// <summary>The CA's own ceiling on lifetimes; a CSR asking for less gets less.</summary>
    public TimeSpan MaximumLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every SignCertificate call the CA answered or refused, in order.</summary>
    public IReadOnlyCollection<SignCertificateRequest> Requests => _requests;

    /// <summary>A token that proves <paramref name="identity"/>; returns the token for the proxy's Mesh:Identity:Token.</summary>
    public string AllowToken(string token, SpiffeId identity)
    {
        _tokens[token] = identity;
        return token;
    }

    public static SpiffeId Workload(string serviceAccount, string ns = "default") => new("cluster.local", ns, serviceAccount);

    /// <summary>A certificate with its key, for a test client or server, signed by this CA.</summary>
    public X509Certificate2 Issue(SpiffeId identity, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        var signed = Sign(request, identity, notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-1), notAfter ?? DateTimeOffset.UtcNow.AddHours(1));
        using var withKey = signed.CopyWithPrivateKey(key);
        // Through PKCS#12 so that SslStream can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>What MeshCertificates.SignCertificate does: checks the token against the CSR's identity, then signs.</summary>
    public SignCertificateResponse Sign(SignCertificateRequest request, string? authorization)
    {
        _requests.Enqueue(request);
        const string bearer = "Bearer ";
        if (authorization is null || !authorization.StartsWith(bearer, StringComparison.Ordinal)
            || !_tokens.TryGetValue(authorization[bearer.Length..], out var proven))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the bootstrap token is missing or unknown"));
        }

        var csr = CertificateRequest.LoadSigningRequestPem(request.CsrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var asked = csr.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17").SelectMany(e => UrisOf(e.RawData)).ToArray();
        if (asked.Length != 1 || asked[0] != proven.ToString())
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"the CSR asks for {string.Join(", ", asked)} but the token proves {proven}"));
        }

        var lifetime = request.RequestedLifetimeSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(request.RequestedLifetimeSeconds, MaximumLifetime.TotalSeconds))
            : MaximumLifetime;
        var now = DateTimeOffset.UtcNow;
        var leaf = Sign(csr, proven, now.AddSeconds(-1), now + lifetime);
        return new SignCertificateResponse
        {
            CertificateChainPem = { leaf.ExportCertificatePem() },
            TrustBundlePem = { RootPem },
        };
    }

    private static List<string> UrisOf(byte[] subjectAlternativeNames)
    {
        var uris = new List<string>();
        var reader = new AsnReader(subjectAlternativeNames, AsnEncodingRules.DER).ReadSequence();
        var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (reader.HasData)
        {
            if (reader.PeekTag().HasSameClassAndValue(uri))
            {
                uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, uri));
            }
            else
            {
                reader.ReadEncodedValue();
            }
        }

        return uris;
    }

    private X509Certificate2 Sign(CertificateRequest request, SpiffeId identity, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var leaf = new CertificateRequest(request.SubjectName, request.PublicKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(identity.ToUri());
        leaf.CertificateExtensions.Add(names.Build(critical: true));
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        leaf.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return leaf.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore, notAfter, serial);
    }

    public void Dispose()
    {
        _key.Dispose();
        Root.Dispose();
    }
}

/// <summary>MeshCertificates on the scripted control plane, answered by a <see cref="TestCertificateAuthority"/>.</summary>
public sealed class ScriptedCertificateService(TestCertificateAuthority authority) : MeshCertificates.MeshCertificatesBase
{
    public override Task<SignCertificateResponse> SignCertificate(SignCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(authority.Sign(request, context.RequestHeaders.GetValue("authorization")));
}
