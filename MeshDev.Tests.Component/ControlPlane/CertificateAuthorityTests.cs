using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using MeshDev.ControlPlane.Certificates;
using MeshDev.Core;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using MeshDev.Tests.Certificates;

namespace MeshDev.Tests.ControlPlane;

/// <summary>The control plane's CA, called over its real gRPC listener as a proxy calls it.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private const string BootstrapKey = "test-bootstrap-key-0123456789abcdef";

    private static readonly SpiffeId Reviews = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bookinfo-reviews");
    private static readonly SpiffeId Ratings = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bookinfo-ratings");

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("meshdev-ca-tests-");

    private string DataDirectory => Path.Combine(_folder.FullName, "data");

    public void Dispose() => _folder.Delete(recursive: true);

    private Task<ControlPlaneHost> StartAsync(params string[] args) => ControlPlaneHost.StartAsync(extraArgs:
    [
        $"--{MeshEnvironment.ControlPlane.DataDirectory}={DataDirectory}",
        $"--{MeshEnvironment.ControlPlane.BootstrapKey}={BootstrapKey}",
        .. args,
    ]);

    private static Task<SignCertificateResponse> SignAsync(ControlPlaneHost host, string csr, string? token, string proxyId = "reviews-v1-sidecar", long lifetimeSeconds = 0)
    {
        var headers = new Metadata();
        if (token is not null)
        {
            headers.Add("authorization", $"Bearer {token}");
        }
        var client = new MeshCertificates.MeshCertificatesClient(host.Grpc);
        return client.SignCertificateAsync(
            new SignCertificateRequest { CsrPem = csr, ProxyId = proxyId, RequestedLifetimeSeconds = lifetimeSeconds }, headers).ResponseAsync;
    }

    private static async Task<JsonObject> CaAsync(ControlPlaneHost host) => (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/ca"))!;

    [Fact]
    public async Task A_CSR_for_the_identity_the_token_proves_gets_a_workload_certificate_that_chains_to_the_API_root()
    {
        await using var host = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var before = DateTimeOffset.UtcNow;

        var response = await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews));

        var ca = await CaAsync(host);
        Assert.Equal("generated", (string?)ca["source"]);
        Assert.Equal("cluster.local", (string?)ca["trustDomain"]);
        Assert.Equal(1, (long)ca["signed"]!);
        Assert.Equal(0, (long)ca["refused"]!);
        var rootPem = (string)ca["root"]!["pem"]!;
        Assert.Equal(new[] { rootPem }, response.TrustBundlePem);
        using var root = TestCertificates.FromPem(rootPem);
        Assert.Equal(CertificateAuthority.Fingerprint(root), (string?)ca["root"]!["sha256Fingerprint"]);
        Assert.Equal(root.SerialNumber, (string?)ca["root"]!["serialNumber"]);
        Assert.Contains("MeshDev", (string?)ca["root"]!["subject"]);
        Assert.Contains("cluster.local", (string?)ca["root"]!["subject"]);
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.InRange(root.NotAfter.ToUniversalTime(), before.UtcDateTime.AddYears(9), before.UtcDateTime.AddYears(11));

        // The root signs directly: the chain is the leaf alone.
        var leafPem = Assert.Single(response.CertificateChainPem);
        using var leaf = TestCertificates.FromPem(leafPem);
        var (valid, problems) = TestCertificates.Verify(leaf, root);
        Assert.True(valid, problems);

        Assert.Equal(Reviews, SpiffeId.FromCertificate(leaf));
        Assert.Equal(new[] { Reviews.ToString() }, SpiffeId.UriSubjectAlternativeNames(leaf));
        Assert.Equal("", leaf.Subject);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
        Assert.True(usage.HasFlag(X509KeyUsageFlags.DigitalSignature));
        Assert.False(usage.HasFlag(X509KeyUsageFlags.KeyCertSign));
        var ekus = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal(new[] { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2" }, ekus.Order());
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());

        // 24 h by default, notBefore backdated for peers whose clocks lag.
        var after = DateTimeOffset.UtcNow;
        Assert.InRange(leaf.NotAfter.ToUniversalTime(), before.UtcDateTime.AddHours(24).AddSeconds(-1), after.UtcDateTime.AddHours(24).AddSeconds(1));
        Assert.True(leaf.NotBefore.ToUniversalTime() < before.UtcDateTime.AddSeconds(-30), $"notBefore {leaf.NotBefore:u} is not backdated");

        var issued = Assert.Single((await host.GetArrayAsync("/api/v1/certificates")).OfType<JsonObject>());
        Assert.Equal(new[] { "identity", "issuedAt", "issuedCount", "notAfter", "notBefore", "proxyId", "serialNumber" }, issued.Select(p => p.Key).Order());
        Assert.Equal(Reviews.ToString(), (string?)issued["identity"]);
        Assert.Equal("reviews-v1-sidecar", (string?)issued["proxyId"]);
        Assert.Equal(leaf.SerialNumber, (string?)issued["serialNumber"]);
        Assert.Equal(1, (long)issued["issuedCount"]!);

        // A renewal: a new random serial, counted under the same proxy.
        var renewed = await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews));
        using var second = TestCertificates.FromPem(renewed.CertificateChainPem[0]);
        Assert.NotEqual(leaf.SerialNumber, second.SerialNumber);
        issued = Assert.Single((await host.GetArrayAsync("/api/v1/certificates")).OfType<JsonObject>());
        Assert.Equal(second.SerialNumber, (string?)issued["serialNumber"]);
        Assert.Equal(2, (long)issued["issuedCount"]!);
    }

    [Theory]
    [InlineData(600, 600)]           // shorter than the CA's: honoured
    [InlineData(172800, 3600)]       // longer: cut to the CA's (one hour here)
    [InlineData(2, 5)]               // under five seconds: five seconds
    [InlineData(0, 3600)]            // none: the CA's
    public async Task The_lifetime_is_the_CAs_or_a_shorter_one_asked_for_and_at_least_five_seconds(long requested, long expected)
    {
        await using var host = await StartAsync($"--{MeshEnvironment.ControlPlane.CertificateLifetime}=01:00:00");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var before = DateTimeOffset.UtcNow;

        var response = await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews), lifetimeSeconds: requested);

        using var leaf = TestCertificates.FromPem(response.CertificateChainPem[0]);
        var lifetime = leaf.NotAfter.ToUniversalTime() - before.UtcDateTime;
        Assert.InRange(lifetime.TotalSeconds, expected - 2, expected + 5);
    }

    [Fact]
    public async Task A_CSR_for_another_identity_is_PermissionDenied_naming_both_and_counted()
    {
        await using var host = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = BootstrapToken.Mint(BootstrapKey, Reviews);

        var error = await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, TestCertificates.Csr(key, Ratings), token));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains($"asked for {Ratings}", error.Status.Detail);
        Assert.Contains($"proves {Reviews}", error.Status.Detail);
        Assert.DoesNotContain(token, error.Status.Detail);
        var ca = await CaAsync(host);
        Assert.Equal(0, (long)ca["signed"]!);
        Assert.Equal(1, (long)ca["refused"]!);
        Assert.Equal(1, (long)ca["refusedBy"]!["permissionDenied"]!);
        Assert.Empty(await host.GetArrayAsync("/api/v1/certificates"));
    }

    [Fact]
    public async Task Missing_forged_and_altered_tokens_are_Unauthenticated()
    {
        await using var host = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestCertificates.Csr(key, Reviews);
        var forged = BootstrapToken.Mint("another-mesh-key-0123456789abcdef", Reviews);
        // The payload of a ratings token with the signature of a reviews token.
        var genuine = BootstrapToken.Mint(BootstrapKey, Ratings);
        var altered = BootstrapToken.Mint(BootstrapKey, Reviews).Split('.')[0] + "." + genuine.Split('.')[1];

        foreach (var token in new[] { null, "", "not-a-token", forged, altered })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, csr, token));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            Assert.Contains($"asked for {Reviews}", error.Status.Detail);
            if (!string.IsNullOrEmpty(token))
            {
                Assert.DoesNotContain(token, error.Status.Detail);
            }
        }

        var ca = await CaAsync(host);
        Assert.Equal(5, (long)ca["refusedBy"]!["unauthenticated"]!);
        Assert.Equal(5, (long)ca["refused"]!);
        Assert.Equal(0, (long)ca["signed"]!);
    }

    [Fact]
    public async Task A_control_plane_without_a_bootstrap_key_signs_nothing()
    {
        await using var host = await ControlPlaneHost.StartAsync(extraArgs: [$"--{MeshEnvironment.ControlPlane.DataDirectory}={DataDirectory}"]);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(MeshEnvironment.ControlPlane.BootstrapKey, error.Status.Detail);
    }

    [Fact]
    public async Task Tampered_and_malformed_CSRs_are_refused_as_invalid()
    {
        await using var host = await StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = BootstrapToken.Mint(BootstrapKey, Reviews);

        // The SAN changed after signing ("reviews" → "ratings" has the same length, so the DER stays well-formed).
        var der = PemEncoding.Write("CERTIFICATE REQUEST", Tamper(TestCertificates.Csr(key, Ratings), "ratings", "reviews"));
        var cases = new (string Csr, string Expected)[]
        {
            (new string(der), "signature"),
            ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "PKCS#10"),
            ("", "csr_pem is empty"),
            (TestCertificates.Csr(key), "0 subjectAltName"),
            (TestCertificates.Csr(key, Reviews.ToString(), Ratings.ToString()), "2 URI SANs"),
            (TestCertificates.Csr(key, "https://reviews.example"), "not a SPIFFE ID"),
        };
        foreach (var (csr, expected) in cases)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, csr, token));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains(expected, error.Status.Detail);
        }

        using var small = RSA.Create(1024);
        var weak = new CertificateRequest(new X500DistinguishedName(""), small, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var sanBuilder = new SubjectAlternativeNameBuilder();
        sanBuilder.AddUri(Reviews.ToUri());
        weak.CertificateExtensions.Add(sanBuilder.Build());
        var weakError = await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, weak.CreateSigningRequestPem(), token));
        Assert.Contains("1024 bits", weakError.Status.Detail);

        var ca = await CaAsync(host);
        Assert.Equal(cases.Length + 1, (long)ca["refusedBy"]!["invalidRequest"]!);
        Assert.Equal(0, (long)ca["signed"]!);
    }

    [Fact]
    public async Task An_RSA_key_gets_keyEncipherment_too()
    {
        await using var host = await StartAsync();
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName(""), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(Reviews.ToUri());
        request.CertificateExtensions.Add(san.Build());

        var response = await SignAsync(host, request.CreateSigningRequestPem(), BootstrapToken.Mint(BootstrapKey, Reviews));

        using var leaf = TestCertificates.FromPem(response.CertificateChainPem[0]);
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, usage);
    }

    [Fact]
    public async Task A_restart_keeps_the_root_and_its_key_file_is_owner_only()
    {
        string firstRoot;
        string leafPem;
        await using (var first = await StartAsync())
        {
            firstRoot = (string)(await CaAsync(first))["root"]!["sha256Fingerprint"]!;
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            leafPem = (await SignAsync(first, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews))).CertificateChainPem[0];
        }

        var keyPath = GeneratedRoot.KeyPath(DataDirectory);
        Assert.True(File.Exists(keyPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(keyPath)!));
        }
        Assert.Contains("*", File.ReadAllText(Path.Combine(DataDirectory, ".gitignore")));

        await using var second = await StartAsync();
        var ca = await CaAsync(second);
        Assert.Equal(firstRoot, (string?)ca["root"]!["sha256Fingerprint"]);
        // A certificate issued before the restart still chains to the root proxies are given after it.
        using var root = TestCertificates.FromPem((string)ca["root"]!["pem"]!);
        using var leaf = TestCertificates.FromPem(leafPem);
        Assert.True(TestCertificates.Verify(leaf, root).Valid);
    }

    [Fact]
    public async Task A_user_supplied_intermediate_signs_and_the_trust_bundle_holds_its_root()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var root = TestCertificates.CreateCa("Corp root", rootKey);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediate = TestCertificates.CreateCa("Corp mesh intermediate", intermediateKey, root);
        var certificatePath = Path.Combine(_folder.FullName, "ca-cert.pem");
        var keyPath = Path.Combine(_folder.FullName, "ca-key.pem");
        File.WriteAllText(certificatePath, intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem());
        File.WriteAllText(keyPath, intermediateKey.ExportPkcs8PrivateKeyPem());

        await using var host = await StartAsync(
            $"--{MeshEnvironment.ControlPlane.CaCertificatePath}={certificatePath}",
            $"--{MeshEnvironment.ControlPlane.CaKeyPath}={keyPath}");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews));

        // Leaf, then the intermediate; the root is not in the chain but is the whole trust bundle.
        Assert.Equal(2, response.CertificateChainPem.Count);
        using var leaf = TestCertificates.FromPem(response.CertificateChainPem[0]);
        using var sentIntermediate = TestCertificates.FromPem(response.CertificateChainPem[1]);
        Assert.Equal(intermediate.Thumbprint, sentIntermediate.Thumbprint);
        Assert.Equal(new[] { root.ExportCertificatePem() }, response.TrustBundlePem);
        Assert.True(TestCertificates.Verify(leaf, root, sentIntermediate).Valid);
        Assert.False(TestCertificates.Verify(leaf, root).Valid); // the intermediate is needed: it is what signed
        Assert.Equal(intermediate.Subject, leaf.Issuer);

        var ca = await CaAsync(host);
        Assert.Equal("user-supplied", (string?)ca["source"]);
        Assert.Equal(root.Subject, (string?)ca["root"]!["subject"]);
        Assert.Equal(intermediate.Subject, (string?)ca["signer"]!["subject"]);
        Assert.False(Directory.Exists(Path.Combine(DataDirectory, GeneratedRoot.FolderName)), "a root was generated beside the user's CA");
    }

    [Fact]
    public async Task A_user_supplied_root_signs_alone()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var root = TestCertificates.CreateCa("Team root", rootKey);
        var (certificatePath, keyPath) = Write(root.ExportCertificatePem(), rootKey.ExportECPrivateKeyPem());

        await using var host = await StartAsync(
            $"--{MeshEnvironment.ControlPlane.CaCertificatePath}={certificatePath}",
            $"--{MeshEnvironment.ControlPlane.CaKeyPath}={keyPath}");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews));

        using var leaf = TestCertificates.FromPem(Assert.Single(response.CertificateChainPem));
        Assert.True(TestCertificates.Verify(leaf, root).Valid);
    }

    [Fact]
    public async Task A_user_supplied_CA_that_cannot_sign_stops_the_start_naming_the_file()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var root = TestCertificates.CreateCa("Corp root", rootKey);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var notCa = TestCertificates.CreateCa("Just a server", leafKey, root, isCa: false);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediate = TestCertificates.CreateCa("Corp mesh intermediate", intermediateKey, root);

        var mismatch = Write(root.ExportCertificatePem(), otherKey.ExportPkcs8PrivateKeyPem());
        var error = await Assert.ThrowsAsync<CertificateAuthorityException>(() => StartWithCaAsync(mismatch));
        Assert.Contains(mismatch.Key, error.Message);
        Assert.Contains("does not belong", error.Message);

        var leafOnly = Write(notCa.ExportCertificatePem() + "\n" + root.ExportCertificatePem(), leafKey.ExportPkcs8PrivateKeyPem());
        error = await Assert.ThrowsAsync<CertificateAuthorityException>(() => StartWithCaAsync(leafOnly));
        Assert.Contains(leafOnly.Certificate, error.Message);
        Assert.Contains("not a CA certificate", error.Message);

        var withoutRoot = Write(intermediate.ExportCertificatePem(), intermediateKey.ExportPkcs8PrivateKeyPem());
        error = await Assert.ThrowsAsync<CertificateAuthorityException>(() => StartWithCaAsync(withoutRoot));
        Assert.Contains(withoutRoot.Certificate, error.Message);
        Assert.Contains("not a root", error.Message);

        var empty = Write("", intermediateKey.ExportPkcs8PrivateKeyPem());
        error = await Assert.ThrowsAsync<CertificateAuthorityException>(() => StartWithCaAsync(empty));
        Assert.Contains(empty.Certificate, error.Message);

        var halfConfigured = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            $"--{MeshEnvironment.ControlPlane.CaCertificatePath}={mismatch.Certificate}"));
        Assert.Contains(MeshEnvironment.ControlPlane.CaKeyPath, halfConfigured.Message);
    }

    [Fact]
    public async Task No_private_key_or_bootstrap_key_appears_in_any_API_response_or_log_line()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await ControlPlaneHost.StartAsync(
            [
                $"--{MeshEnvironment.ControlPlane.DataDirectory}={DataDirectory}",
                $"--{MeshEnvironment.ControlPlane.BootstrapKey}={BootstrapKey}",
                "--Logging:LogLevel:Default=Trace",
            ],
            services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await SignAsync(host, TestCertificates.Csr(key, Reviews), BootstrapToken.Mint(BootstrapKey, Reviews));
        await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, TestCertificates.Csr(key, Ratings), BootstrapToken.Mint(BootstrapKey, Reviews)));
        await Assert.ThrowsAsync<RpcException>(() => SignAsync(host, TestCertificates.Csr(key, Reviews), "forged.token"));
        await using (var proxy = await host.ConnectAsync(TestProxy.Sidecar("reviews-v1-sidecar", "reviews", "127.0.0.1:40001")))
        {
            await proxy.NextAsync();
        }

        var responses = new List<string>();
        foreach (var path in new[] { "/api/v1/ca", "/api/v1/certificates", "/api/v1/proxies", "/api/v1/services", "/api/v1/version", "/api/v1/config" })
        {
            responses.Add(Unfolded(await host.Http.GetStringAsync(path)));
        }
        using (var browser = await host.DashboardSessionAsync())
        {
            responses.Add(Unfolded(await browser.GetStringAsync("/")));
        }

        var rootKeyBody = TestCertificates.PemBody(File.ReadAllText(GeneratedRoot.KeyPath(DataDirectory)));
        Assert.True(rootKeyBody.Length > 100);
        // The public root does appear (it is what proxies trust), which shows the search would find a key in PEM form.
        var rootCertificateBody = TestCertificates.PemBody(File.ReadAllText(GeneratedRoot.CertificatePath(DataDirectory)));
        Assert.Contains(responses, r => r.Contains(rootCertificateBody, StringComparison.Ordinal));
        var logText = Unfolded(logs.Text);
        Assert.Contains("Certificateauthorityready", logText);
        Assert.Contains("RefusedaCSR", logText);
        foreach (var secret in new[] { rootKeyBody, rootKeyBody[..32], rootKeyBody[^32..], BootstrapKey, host.ApiToken })
        {
            Assert.DoesNotContain(responses, r => r.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, logText, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Text as a reader would search it: JSON string escapes (\u002B, \n) decoded, then every whitespace removed,
    /// so a PEM body split over lines is found as one run of characters.
    /// </summary>
    private static string Unfolded(string text)
    {
        var decoded = text.TrimStart() is ['{' or '[', ..] ? string.Join(" ", Strings(System.Text.Json.Nodes.JsonNode.Parse(text))) : text;
        return string.Concat(decoded.Where(c => !char.IsWhiteSpace(c)));
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v => [v.ToString()],
        _ => [],
    };

    private (string Certificate, string Key) Write(string certificatePem, string keyPem)
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var certificate = Path.Combine(_folder.FullName, $"{name}-cert.pem");
        var key = Path.Combine(_folder.FullName, $"{name}-key.pem");
        File.WriteAllText(certificate, certificatePem);
        File.WriteAllText(key, keyPem);
        return (certificate, key);
    }

    private async Task StartWithCaAsync((string Certificate, string Key) ca)
    {
        await using var host = await StartAsync(
            $"--{MeshEnvironment.ControlPlane.CaCertificatePath}={ca.Certificate}",
            $"--{MeshEnvironment.ControlPlane.CaKeyPath}={ca.Key}");
    }

    private static byte[] Tamper(string pem, string from, string to)
    {
        var fields = PemEncoding.Find(pem);
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        var index = der.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(from));
        Assert.True(index >= 0);
        System.Text.Encoding.ASCII.GetBytes(to).CopyTo(der, index);
        return der;
    }
}
