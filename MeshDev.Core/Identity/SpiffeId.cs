using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace MeshDev.Core.Identity;

/// <summary>
/// A workload identity in Istio's SPIFFE form, <c>spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>.
/// Istio's policies name it without the scheme (<see cref="Principal"/>, e.g. <c>cluster.local/ns/default/sa/reviews</c>).
/// </summary>
public sealed record SpiffeId(string TrustDomain, string Namespace, string ServiceAccount)
{
    public const string Scheme = "spiffe://";

    /// <summary>The form AuthorizationPolicy principals use: the URI without its scheme.</summary>
    public string Principal => $"{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    public Uri ToUri() => new(ToString());

    public override string ToString() => Scheme + Principal;

    public static SpiffeId Parse(string value) =>
        TryParse(value, out var id) ? id : throw new FormatException(
            $"'{value}' is not a workload SPIFFE ID; expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.");

    public static bool TryParse(string? value, [NotNullWhen(true)] out SpiffeId? id)
    {
        id = null;
        if (value is null || !value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = value[Scheme.Length..].Split('/');
        if (parts.Length != 5 || parts[1] != "ns" || parts[3] != "sa" || parts.Any(string.IsNullOrEmpty))
        {
            return false;
        }
        id = new SpiffeId(parts[0], parts[2], parts[4]);
        return true;
    }

    /// <summary>The URI SANs of a certificate (a workload certificate carries exactly one, its SPIFFE ID).</summary>
    public static IReadOnlyList<string> UriSubjectAlternativeNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null)
        {
            return [];
        }
        var uris = new List<string>();
        var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
        var uniformResourceIdentifier = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (reader.HasData)
        {
            var tag = reader.PeekTag();
            if (tag.HasSameClassAndValue(uniformResourceIdentifier))
            {
                uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, uniformResourceIdentifier));
            }
            else
            {
                reader.ReadEncodedValue();
            }
        }
        return uris;
    }

    /// <summary>The certificate's SPIFFE ID, or null when it has none or more than one URI SAN.</summary>
    public static SpiffeId? FromCertificate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return null;
        }
        var uris = UriSubjectAlternativeNames(certificate);
        return uris.Count == 1 && TryParse(uris[0], out var id) ? id : null;
    }
}
