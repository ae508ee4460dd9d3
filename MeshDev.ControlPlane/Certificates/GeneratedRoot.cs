using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>
/// The control plane's own root: an ECDSA P-256 key and a self-signed CA certificate valid for ten years, made on
/// the first start and kept in <c>&lt;data folder&gt;/ca/</c> (<c>root-cert.pem</c>, <c>root-key.pem</c>) so every later
/// start signs under the same root and certificates issued before a restart stay trusted. P-256 because peers
/// verify it on every handshake and it is what Istio's own CA and most TLS stacks handle fastest.
/// </summary>
public static class GeneratedRoot
{
    public const string FolderName = "ca";
    public const string CertificateFileName = "root-cert.pem";
    public const string KeyFileName = "root-key.pem";
    public static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    public static string CertificatePath(string dataDirectory) => Path.Combine(dataDirectory, FolderName, CertificateFileName);

    public static string KeyPath(string dataDirectory) => Path.Combine(dataDirectory, FolderName, KeyFileName);

    /// <summary>Loads the root kept in <paramref name="dataDirectory"/>, making it first if there is none.</summary>
    /// <param name="created">Whether this call made the root.</param>
    public static SigningAuthority LoadOrCreate(string dataDirectory, string trustDomain, DateTimeOffset now, out bool created)
    {
        var folder = Path.Combine(dataDirectory, FolderName);
        created = false;
        if (!Directory.Exists(folder))
        {
            created = TryCreate(dataDirectory, folder, trustDomain, now);
        }

        var certificatePath = CertificatePath(dataDirectory);
        var keyPath = KeyPath(dataDirectory);
        foreach (var path in new[] { certificatePath, keyPath })
        {
            if (!File.Exists(path))
            {
                throw new CertificateAuthorityException(
                    $"The control plane's CA folder '{folder}' lacks '{Path.GetFileName(path)}'. Restore it, or delete the folder to make a " +
                    "new root (certificates issued under the old one will then no longer be trusted).");
            }
        }

        try
        {
            return CaCertificateLoader.Load(certificatePath, keyPath, CaSource.Generated, now);
        }
        catch (CertificateAuthorityException ex)
        {
            throw new CertificateAuthorityException(
                $"{ex.Message} (The control plane made this root in '{folder}'; delete that folder to make a new one.)", ex);
        }
    }

    /// <summary>Writes the root into a private temporary folder and renames it into place, so no start ever sees half a root.</summary>
    /// <returns>False when another process put a root in place first.</returns>
    private static bool TryCreate(string dataDirectory, string folder, string trustDomain, DateTimeOffset now)
    {
        ControlPlaneDataDirectory.EnsureCreated(dataDirectory);
        var staging = Path.Combine(dataDirectory, $".{FolderName}-{Guid.NewGuid():N}");
        OwnerOnlyFiles.CreateFolder(staging);
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = CreateCertificate(key, trustDomain, now);
            // The key's file is owner-only from the moment it exists, before a single key byte is written.
            WriteNewFile(Path.Combine(staging, KeyFileName), key.ExportPkcs8PrivateKeyPem(), OwnerOnlyFiles.FileMode);
            WriteNewFile(Path.Combine(staging, CertificateFileName), certificate.ExportCertificatePem(), null);
            try
            {
                Directory.Move(staging, folder);
                return true;
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                return false;
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    public static X509Certificate2 CreateCertificate(ECDsa key, string trustDomain, DateTimeOffset now)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("MeshDev");
        subject.AddOrganizationalUnitName(trustDomain);
        subject.AddCommonName($"MeshDev root CA for {trustDomain}");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        // Backdated a little, so that a peer whose clock runs behind does not see a root from the future.
        return request.CreateSelfSigned(now.AddHours(-1), now.Add(Validity));
    }

    private static void WriteNewFile(string path, string content, UnixFileMode? mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
