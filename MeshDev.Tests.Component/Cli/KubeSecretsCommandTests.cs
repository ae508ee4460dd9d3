using System.Text;
using k8s.Models;
using MeshDev.Core.Identity;
using MeshDev.Tests.Kubernetes;

namespace MeshDev.Tests.Cli;

/// <summary>meshctl kube secrets: the deploy-time Secrets of a generated tree, printed for kubectl apply -f -.</summary>
public sealed class KubeSecretsCommandTests
{
    private static string Tree(string flavor) => Path.Combine(Repository.Root(), "deploy", "bookinfo", flavor);

    [Fact]
    public async Task Prints_a_bootstrap_key_an_API_token_and_a_token_per_identity_that_verifies_with_that_key()
    {
        var result = await Meshctl.RunRawAsync(["kube", "secrets", Tree("meshdev")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var secrets = KubernetesTree.LoadStrict(result.Out).Cast<V1Secret>().ToList();
        Assert.All(secrets, s => Assert.Equal("default", s.Metadata.NamespaceProperty));
        var key = Encoding.UTF8.GetString(secrets.Single(s => s.Metadata.Name == "meshdev-bootstrap").Data["key"]);
        Assert.True(key.Length >= 32);
        var reviews = Encoding.UTF8.GetString(secrets.Single(s => s.Metadata.Name == "meshdev-token-bookinfo-reviews").Data["token"]);
        Assert.True(BootstrapToken.TryVerify(key, reviews, out var identity, out var error), error);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", identity.ToString());

        // A second run makes a new key: the secrets are made at deploy time, not stored anywhere.
        var again = KubernetesTree.LoadStrict((await Meshctl.RunRawAsync(["kube", "secrets", Tree("meshdev")])).Out).Cast<V1Secret>();
        Assert.NotEqual(key, Encoding.UTF8.GetString(again.Single(s => s.Metadata.Name == "meshdev-bootstrap").Data["key"]));
    }

    [Fact]
    public async Task Adds_the_CA_Secret_from_the_given_files()
    {
        var folder = Directory.CreateTempSubdirectory("meshdev-ca-");
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test root", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            var certFile = Path.Combine(folder.FullName, "ca.pem");
            var keyFile = Path.Combine(folder.FullName, "ca-key.pem");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

            var result = await Meshctl.RunRawAsync(["kube", "secrets", Tree("meshdev"), "--ca-cert", certFile, "--ca-key", keyFile]);

            Assert.True(result.ExitCode == 0, result.ToString());
            var ca = KubernetesTree.LoadStrict(result.Out).Cast<V1Secret>().Single(s => s.Metadata.Name == "meshdev-ca");
            Assert.Equal("kubernetes.io/tls", ca.Type);
            Assert.Equal(await File.ReadAllTextAsync(certFile), Encoding.UTF8.GetString(ca.Data["tls.crt"]));
            Assert.Equal(await File.ReadAllTextAsync(keyFile), Encoding.UTF8.GetString(ca.Data["tls.key"]));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_tree_without_MeshDev_proxies_or_a_folder_without_a_kustomization_is_bad_usage()
    {
        var istio = await Meshctl.RunRawAsync(["kube", "secrets", Tree("istio")]);
        Assert.Equal(2, istio.ExitCode);
        Assert.Contains("The istio flavour needs no MeshDev secrets", istio.Error);
        Assert.Equal("", istio.Out);

        var elsewhere = await Meshctl.RunRawAsync(["kube", "secrets", Path.Combine(Repository.Root(), "docs")]);
        Assert.Equal(2, elsewhere.ExitCode);
        Assert.Contains("has no kustomization.yaml", elsewhere.Error);

        var half = await Meshctl.RunRawAsync(["kube", "secrets", Tree("meshdev"), "--ca-cert", "ca.pem"]);
        Assert.Equal(2, half.ExitCode);
        Assert.Contains("--ca-cert and --ca-key go together", half.Error);
    }
}
