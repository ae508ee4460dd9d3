using System.Collections.Concurrent;
using System.Text;
using MeshDev.Core.Telemetry;

namespace MeshDev.Proxy.Telemetry.Mesh;

/// <summary>
/// The peer-metadata header, MeshDev's counterpart of Istio's x-envoy-peer-metadata: the calling proxy (a sidecar's
/// outbound side or the gateway) tells the called sidecar who is calling, so that the destination's metrics can name
/// the source workload. The called sidecar removes it before the request reaches the app.
/// <para>
/// Format: <c>x-meshdev-peer: workload=reviews-v2;namespace=default;app=reviews;version=v2;canonical_service=reviews;canonical_revision=v2</c>
/// — <c>key=value</c> pairs separated by ';', values percent-encoded (RFC 3986), keys in any order, unknown keys
/// ignored. <c>workload</c> is required; a missing key is "unknown". At most <see cref="MaxLength"/> characters.
/// </para>
/// It names the workload only; a caller's identity (principal) comes from its certificate, never from a header.
/// </summary>
public static class PeerMetadata
{
    public const string HeaderName = "x-meshdev-peer";

    public const int MaxLength = 1024;

    // Callers are few and send the same value every time: parse each distinct value once.
    private const int MaxCached = 256;
    private static readonly ConcurrentDictionary<string, IstioWorkloadLabels> Parsed = new(StringComparer.Ordinal);

    public static string Format(IstioWorkloadLabels labels)
    {
        var text = new StringBuilder();
        Append(text, "workload", labels.Workload);
        Append(text, "namespace", labels.Namespace);
        Append(text, "app", labels.App);
        Append(text, "version", labels.Version);
        Append(text, "canonical_service", labels.CanonicalService);
        Append(text, "canonical_revision", labels.CanonicalRevision);
        return text.ToString();
    }

    /// <returns>Null when the value is not a peer-metadata header this format describes.</returns>
    public static IstioWorkloadLabels? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return null;
        }

        if (Parsed.TryGetValue(value, out var cached))
        {
            return cached;
        }

        string? workload = null, @namespace = null, app = null, version = null, canonicalService = null, canonicalRevision = null;
        foreach (var pair in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                return null;
            }

            string decoded;
            try
            {
                decoded = Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
            catch (UriFormatException)
            {
                return null;
            }

            if (decoded.Length == 0)
            {
                continue;
            }

            switch (pair[..equals])
            {
                case "workload": workload = decoded; break;
                case "namespace": @namespace = decoded; break;
                case "app": app = decoded; break;
                case "version": version = decoded; break;
                case "canonical_service": canonicalService = decoded; break;
                case "canonical_revision": canonicalRevision = decoded; break;
            }
        }

        if (workload is null)
        {
            return null;
        }

        var labels = new IstioWorkloadLabels(
            workload,
            @namespace ?? IstioLabelNames.Unknown,
            app ?? IstioLabelNames.Unknown,
            version ?? IstioLabelNames.Unknown,
            canonicalService ?? app ?? workload,
            canonicalRevision ?? version ?? "latest");
        if (Parsed.Count < MaxCached)
        {
            Parsed.TryAdd(value, labels);
        }

        return labels;
    }

    private static void Append(StringBuilder text, string key, string value)
    {
        if (text.Length > 0)
        {
            text.Append(';');
        }

        text.Append(key).Append('=').Append(Uri.EscapeDataString(value));
    }
}
