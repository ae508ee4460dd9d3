namespace MeshDev.Core.Config;

/// <summary>
/// The host names config uses for a mesh service, as Istio reads them: "reviews" (in the resource's namespace),
/// "reviews.default", "reviews.default.svc" or "reviews.default.svc.cluster.local".
/// </summary>
public static class ServiceHost
{
    private const string ClusterSuffix = ".svc." + MeshEnvironment.DefaultTrustDomain;

    public static bool IsWildcard(string host) => host.Contains('*');

    /// <summary>The service and namespace a host names; the namespace is <paramref name="defaultNamespace"/> for a short name.</summary>
    public static (string Service, string Namespace) Resolve(string host, string defaultNamespace)
    {
        var name = host.EndsWith(ClusterSuffix, StringComparison.OrdinalIgnoreCase) ? host[..^ClusterSuffix.Length]
            : host.EndsWith(".svc", StringComparison.OrdinalIgnoreCase) ? host[..^".svc".Length]
            : host;
        var dot = name.IndexOf('.');
        return dot < 0 ? (name, defaultNamespace) : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>Whether <paramref name="host"/> (in a resource of <paramref name="resourceNamespace"/>) names the service.</summary>
    public static bool Names(string host, string resourceNamespace, string service, string serviceNamespace) =>
        !IsWildcard(host) && Resolve(host, resourceNamespace) == (service, serviceNamespace);

    /// <summary>Whether two host patterns can name the same host: "*" matches all, "*.example.com" a suffix.</summary>
    public static bool Intersect(string a, string b)
    {
        a = a.Contains('/') ? a[(a.IndexOf('/') + 1)..] : a;
        b = b.Contains('/') ? b[(b.IndexOf('/') + 1)..] : b;
        if (a == "*" || b == "*" || string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return (a.StartsWith("*.", StringComparison.Ordinal) && b.EndsWith(a[1..], StringComparison.OrdinalIgnoreCase))
            || (b.StartsWith("*.", StringComparison.Ordinal) && a.EndsWith(b[1..], StringComparison.OrdinalIgnoreCase));
    }
}
