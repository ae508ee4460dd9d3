using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshDev.Proxy.Identity;

/// <summary>Reads the PEM certificates that the CA's response and snapshots carry, naming the field that is wrong.</summary>
public static class CertificatePem
{
    /// <exception cref="CertificateResponseException">Not exactly one PEM certificate.</exception>
    public static X509Certificate2 ParseOne(string pem, string field)
    {
        var all = ParseAll(pem, field);
        return all.Count == 1 ? all[0] : throw new CertificateResponseException($"{field} holds {all.Count} certificates; expected one");
    }

    /// <summary>Every certificate in every entry (an entry may hold several); null when there are none at all.</summary>
    /// <exception cref="CertificateResponseException">An entry is not PEM certificates.</exception>
    public static X509Certificate2Collection? ParseBundle(IEnumerable<string> entries, string field)
    {
        var bundle = new X509Certificate2Collection();
        var index = 0;
        foreach (var entry in entries)
        {
            bundle.AddRange(ParseAll(entry, $"{field}[{index++}]").ToArray());
        }

        return bundle.Count == 0 ? null : bundle;
    }

    private static List<X509Certificate2> ParseAll(string pem, string field)
    {
        var certificates = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.SequenceEqual("CERTIFICATE"))
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
                }
                catch (CryptographicException e)
                {
                    throw new CertificateResponseException($"{field} has a CERTIFICATE block that is not a valid certificate: {e.Message}");
                }
            }

            rest = rest[fields.Location.End.GetOffset(rest.Length)..];
        }

        return certificates.Count > 0
            ? certificates
            : throw new CertificateResponseException($"{field} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
    }
}
