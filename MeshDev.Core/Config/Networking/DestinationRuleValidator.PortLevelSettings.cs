namespace MeshDev.Core.Config.Networking;

// DestinationRule trafficPolicy.portLevelSettings and the cookie of a consistent hash.
internal sealed partial class DestinationRuleValidator
{
    private void CheckPortLevelSettings(DestinationRuleResource dr, IReadOnlyList<PortTrafficPolicySpec> settings, string path)
    {
        var servicePort = ServicePortOf(dr);
        var seen = new Dictionary<long, int>();
        for (var i = 0; i < settings.Count; i++)
        {
            var entry = settings[i];
            var itemPath = $"{path}[{i}]";
            if (entry.Port?.Number is not { } number)
            {
                Error(dr, $"{itemPath}.port.number", $"port.number is missing; give the service port these settings are for{(servicePort is { } p ? $", {p} for '{dr.Spec.Host}'" : ", e.g. 9080")}.");
            }
            else if (number is < 1 or > 65535)
            {
                Error(dr, $"{itemPath}.port.number", $"port {number} is out of range; give a port from 1 to 65535.");
            }
            else if (!seen.TryAdd(number, i))
            {
                Warning(dr, $"{itemPath}.port.number", $"port {number} already has settings in {path}[{seen[number]}]; as in Istio only that first entry applies; merge the two.");
            }
            else if (servicePort is { } port && number != port)
            {
                Warning(dr, $"{itemPath}.port.number",
                    $"service '{dr.Spec.Host}' has no port {number} (its service port is {port}), so these settings apply to no traffic; give port {port} or remove the entry.");
            }

            if (entry.LoadBalancer is null && entry.ConnectionPool is null && entry.OutlierDetection is null && entry.Tls is null)
            {
                Error(dr, itemPath, "this entry sets none of loadBalancer, connectionPool, outlierDetection or tls; give at least one or remove the entry.");
                continue;
            }

            // A port's parts take the same values as the rule's own; checked by the same rules, under the entry's path.
            CheckTrafficPolicy(dr, new TrafficPolicySpec
            {
                LoadBalancer = entry.LoadBalancer,
                ConnectionPool = entry.ConnectionPool,
                OutlierDetection = entry.OutlierDetection,
                Tls = entry.Tls,
            }, itemPath);
        }
    }

    private void CheckHashCookie(DestinationRuleResource dr, HttpCookieSpec cookie, string path)
    {
        if (cookie.Name is { Length: > 0 } name && !IsCookieToken(name))
        {
            Error(dr, $"{path}.name", $"cookie name '{name}' is not a valid cookie name; use letters, digits and -_.!#$%&'*+^`|~ only.");
        }

        if (cookie.Ttl is { } ttl && ttl < TimeSpan.Zero)
        {
            Error(dr, $"{path}.ttl", "ttl is negative; give 0s for a session cookie or a lifetime such as \"1h\".");
        }

        if (cookie.Path is { } cookiePath)
        {
            if (!cookiePath.StartsWith('/') || cookiePath.Any(c => c is ';' or ',' || char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                Error(dr, $"{path}.path", $"path '{cookiePath}' is not a cookie path; give one starting with '/' without ';', ',' or white space, e.g. '/'.");
            }

            if (cookie.Ttl is null)
            {
                // Envoy writes the path only into a cookie it issues, and it issues one only with a ttl.
                Warning(dr, $"{path}.path", "path has no effect without ttl: the proxy issues the cookie (with this path) only when ttl is set; add ttl or remove path.");
            }
        }
    }

    /// <summary>
    /// Where a subset's loadBalancer gives up a hash the rule's (effective) policy has, or null. With the service's
    /// port known the port-level entries for that port count; without, any entry might apply and all count.
    /// </summary>
    private string? SubsetLoadBalancerDroppingRuleHash(DestinationRuleResource dr, SubsetSpec subset, string subsetPath)
    {
        var port = ServicePortOf(dr);
        var rule = dr.Spec.TrafficPolicy;
        var ruleHashes = port is { } p
            ? (PortEntry(rule, p)?.LoadBalancer ?? rule?.LoadBalancer)?.ConsistentHash is not null
            : rule?.LoadBalancer?.ConsistentHash is not null || (rule?.PortLevelSettings.Any(e => e.LoadBalancer?.ConsistentHash is not null) ?? false);
        if (!ruleHashes || subset.TrafficPolicy is not { } own)
        {
            return null;
        }

        var path = $"{subsetPath}.trafficPolicy";
        for (var i = 0; i < own.PortLevelSettings.Count; i++)
        {
            var entry = own.PortLevelSettings[i];
            if (entry.LoadBalancer is { ConsistentHash: null } && (port is null || entry.Port?.Number == port) && PortEntry(own, entry.Port?.Number ?? 0) == entry)
            {
                return $"{path}.portLevelSettings[{i}].loadBalancer";
            }
        }

        var ownForPort = port is { } q ? PortEntry(own, q)?.LoadBalancer : null;
        return (ownForPort ?? own.LoadBalancer) is { ConsistentHash: null } ? $"{path}.loadBalancer" : null;
    }

    /// <summary>The first portLevelSettings entry for the port, the one Istio applies.</summary>
    private static PortTrafficPolicySpec? PortEntry(TrafficPolicySpec? policy, long port) =>
        policy?.PortLevelSettings.FirstOrDefault(e => e.Port?.Number == port);

    private uint? ServicePortOf(DestinationRuleResource dr) =>
        dr.Spec.Host is { Length: > 0 } host && !ServiceHost.IsWildcard(host)
        && services.Ports.TryGetValue(ServiceHost.Resolve(host, dr.Metadata.Namespace).Service, out var port)
            ? port
            : null;

    // RFC 6265 cookie-name: an RFC 7230 token.
    private static bool IsCookieToken(string name) =>
        name.All(c => c is > ' ' and < (char)127 && "()<>@,;:\\\"/[]?={}".IndexOf(c) < 0);
}
