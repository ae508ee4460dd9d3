using System.Globalization;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Discovery;

/// <summary>
/// Checks a pushed snapshot as a whole before any of it is used. The reason names the cluster, the endpoint and the
/// field, because it travels back to the control plane in the NACK and ends up in front of a person.
/// A declared upstream without a cluster is not an error: its requests get 503 "no healthy upstream". A route that
/// sends to a cluster the snapshot lacks is, and so are weights that do not add to 100; a regex that does not compile
/// is found when the tables are compiled (<see cref="RuntimeSnapshot.Build"/>).
/// </summary>
public static class SnapshotValidator
{
    /// <returns>Null when the snapshot can be applied; otherwise why not.</returns>
    public static string? Validate(ProxySnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return "the message carries no snapshot";
        }

        if (string.IsNullOrWhiteSpace(snapshot.Version))
        {
            return "snapshot.version is empty";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < snapshot.Clusters.Count; c++)
        {
            var cluster = snapshot.Clusters[c];
            if (string.IsNullOrWhiteSpace(cluster.Name))
            {
                return $"clusters[{c}].name is empty";
            }

            if (!names.Add(cluster.Name))
            {
                return $"cluster '{cluster.Name}' appears more than once";
            }

            if (!Enum.IsDefined(cluster.LoadBalancer))
            {
                return $"cluster '{cluster.Name}': load_balancer {(int)cluster.LoadBalancer} is not a known policy";
            }

            if (!Enum.IsDefined(cluster.Protocol))
            {
                return $"cluster '{cluster.Name}': protocol {(int)cluster.Protocol} is not a known protocol";
            }

            var traffic = ValidateTrafficPolicy(cluster.ConnectionPool, cluster.OutlierDetection, cluster.ConsistentHash, $"cluster '{cluster.Name}'");
            if (traffic is not null)
            {
                return traffic;
            }

            for (var e = 0; e < cluster.Endpoints.Count; e++)
            {
                var endpoint = cluster.Endpoints[e];
                if (!IsHostAndPort(endpoint.Address))
                {
                    var who = string.IsNullOrEmpty(endpoint.ProxyId) ? "" : $" (proxy '{endpoint.ProxyId}')";
                    return $"cluster '{cluster.Name}' endpoint {e}{who}: address '{endpoint.Address}' is not host:port with a port from 1 to 65535";
                }
            }
        }

        var reason = ValidateSubsets(snapshot);
        if (reason is not null)
        {
            return reason;
        }

        var tables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in snapshot.RouteTables)
        {
            if (string.IsNullOrWhiteSpace(table.Name))
            {
                return "a route table has an empty name";
            }

            if (!tables.Add(table.Name))
            {
                return $"route table '{table.Name}' appears more than once";
            }

            for (var r = 0; r < table.Routes.Count; r++)
            {
                reason = ValidateRoute(table.Routes[r], $"route table '{table.Name}' route '{RouteTableCompiler.RouteLabel(table.Routes[r], r)}'", names);
                if (reason is not null)
                {
                    return reason;
                }
            }

            for (var r = 0; r < table.TcpRoutes.Count; r++)
            {
                var label = string.IsNullOrEmpty(table.TcpRoutes[r].Name) ? r.ToString(CultureInfo.InvariantCulture) : table.TcpRoutes[r].Name;
                reason = ValidateDestinations(table.TcpRoutes[r].Destinations, $"route table '{table.Name}' tcp route '{label}'", names);
                if (reason is not null)
                {
                    return reason;
                }
            }
        }

        return null;
    }

    private static string? ValidateSubsets(ProxySnapshot snapshot)
    {
        foreach (var cluster in snapshot.Clusters)
        {
            var subsets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var subset in cluster.Subsets)
            {
                if (string.IsNullOrWhiteSpace(subset.Name))
                {
                    return $"cluster '{cluster.Name}': a subset has an empty name";
                }

                if (!subsets.Add(subset.Name))
                {
                    return $"cluster '{cluster.Name}': subset '{subset.Name}' appears more than once";
                }

                if (!Enum.IsDefined(subset.LoadBalancer))
                {
                    return $"cluster '{cluster.Name}' subset '{subset.Name}': load_balancer {(int)subset.LoadBalancer} is not a known policy";
                }

                var traffic = ValidateTrafficPolicy(subset.ConnectionPool, subset.OutlierDetection, subset.ConsistentHash, $"cluster '{cluster.Name}' subset '{subset.Name}'");
                if (traffic is not null)
                {
                    return traffic;
                }
            }
        }

        return null;
    }

    private static string? ValidateTrafficPolicy(ConnectionPool? pool, OutlierDetection? outlier, ConsistentHash? hash, string where)
    {
        if (pool is not null)
        {
            if (pool.ConnectTimeoutMs < 0)
            {
                return $"{where}: connection_pool.connect_timeout_ms {pool.ConnectTimeoutMs} is negative";
            }

            if (pool.IdleTimeoutMs < 0)
            {
                return $"{where}: connection_pool.idle_timeout_ms {pool.IdleTimeoutMs} is negative";
            }
        }

        if (outlier is not null)
        {
            if (outlier.MaxEjectionPercent > 100)
            {
                return $"{where}: outlier_detection.max_ejection_percent {outlier.MaxEjectionPercent} is not from 0 to 100";
            }

            if (outlier.MinHealthPercent > 100)
            {
                return $"{where}: outlier_detection.min_health_percent {outlier.MinHealthPercent} is not from 0 to 100";
            }

            if (outlier.IntervalMs < 0)
            {
                return $"{where}: outlier_detection.interval_ms {outlier.IntervalMs} is negative";
            }

            if (outlier.BaseEjectionTimeMs < 0)
            {
                return $"{where}: outlier_detection.base_ejection_time_ms {outlier.BaseEjectionTimeMs} is negative";
            }
        }

        if (hash is not null)
        {
            var name = hash.KeyCase switch
            {
                ConsistentHash.KeyOneofCase.HttpHeaderName => hash.HttpHeaderName,
                ConsistentHash.KeyOneofCase.HttpCookieName => hash.HttpCookieName,
                ConsistentHash.KeyOneofCase.HttpQueryParameterName => hash.HttpQueryParameterName,
                ConsistentHash.KeyOneofCase.UseSourceIp => hash.UseSourceIp ? "source ip" : "",
                _ => "",
            };
            if (string.IsNullOrWhiteSpace(name))
            {
                return $"{where}: consistent_hash needs one of http_header_name, http_cookie_name, http_query_parameter_name (not empty) or use_source_ip (true)";
            }

            if (hash.MinimumRingSize > 8_388_608)
            {
                return $"{where}: consistent_hash.minimum_ring_size {hash.MinimumRingSize} is above Envoy's limit of 8388608";
            }
        }

        return null;
    }

    private static string? ValidateDestinations(IList<WeightedDestination> destinations, string where, HashSet<string> clusters)
    {
        if (destinations.Count == 0)
        {
            return $"{where}: destinations is empty";
        }

        long weights = 0;
        for (var d = 0; d < destinations.Count; d++)
        {
            var destination = destinations[d];
            if (!clusters.Contains(destination.Service))
            {
                return $"{where} destinations[{d}]: service '{destination.Service}' has no cluster in the snapshot";
            }

            weights += destination.Weight;
        }

        return weights == 100 ? null : $"{where}: destination weights add up to {weights}, not 100";
    }

    private static string? ValidateRoute(HttpRoute route, string where, HashSet<string> clusters)
    {
        if (route.Redirect is { } redirect)
        {
            return route.Destinations.Count > 0
                ? $"{where}: a redirect route has destinations; it answers the redirect itself, so give one or the other"
                : RedirectRewriteValidator.Validate(redirect, where);
        }

        if (route.Rewrite is { } rewrite && RedirectRewriteValidator.Validate(rewrite, where) is { } badRewrite)
        {
            return badRewrite;
        }

        if (ValidateDestinations(route.Destinations, where, clusters) is { } destinations)
        {
            return destinations;
        }

        if (route.Mirror is { } mirror && !clusters.Contains(mirror.Service))
        {
            return $"{where}: mirror service '{mirror.Service}' has no cluster in the snapshot";
        }

        if (route.MirrorPercentage is < 0 or > 100 || double.IsNaN(route.MirrorPercentage))
        {
            return $"{where}: mirror_percentage {route.MirrorPercentage} is not from 0 to 100";
        }

        if (route.TimeoutMs < 0)
        {
            return $"{where}: timeout_ms {route.TimeoutMs} is negative";
        }

        if (route.Retries is { } retries)
        {
            if (retries.PerTryTimeoutMs < 0)
            {
                return $"{where}: retries.per_try_timeout_ms {retries.PerTryTimeoutMs} is negative";
            }

            Routing.RetryPolicy.Parse(retries, out var unknown);
            if (unknown is not null)
            {
                return $"{where}: retries.retry_on '{unknown}' is not a retry condition (5xx, gateway-error, connect-failure, refused-stream, reset, retriable-4xx, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable or a status code)";
            }
        }

        if (route.Fault is { } fault)
        {
            if (fault.Delay is { } delay && (delay.FixedDelayMs < 0 || delay.Percentage is < 0 or > 100 || double.IsNaN(delay.Percentage)))
            {
                return $"{where}: fault.delay needs fixed_delay_ms >= 0 and percentage from 0 to 100";
            }

            if (fault.Abort is { } abort)
            {
                if (abort.Percentage is < 0 or > 100 || double.IsNaN(abort.Percentage))
                {
                    return $"{where}: fault.abort.percentage {abort.Percentage} is not from 0 to 100";
                }

                if ((abort.HttpStatus != 0) == (abort.GrpcStatus.Length != 0))
                {
                    return $"{where}: fault.abort needs exactly one of http_status and grpc_status";
                }

                if (abort.HttpStatus != 0 && abort.HttpStatus is < 200 or > 599)
                {
                    return $"{where}: fault.abort.http_status {abort.HttpStatus} is not from 200 to 599";
                }

                if (abort.GrpcStatus.Length != 0 && !GrpcStatusCodes.TryParse(abort.GrpcStatus, out _))
                {
                    return $"{where}: fault.abort.grpc_status '{abort.GrpcStatus}' is not a gRPC status name";
                }
            }
        }

        for (var m = 0; m < route.Matches.Count; m++)
        {
            var match = route.Matches[m];
            if (match.Headers.Keys.Concat(match.WithoutHeaders.Keys).FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
            {
                return $"{where} matches[{m}]: a header name is empty";
            }
        }

        return null;
    }

    /// <summary>host:port, [ipv6]:port; the host a name or an IP address.</summary>
    public static bool IsHostAndPort(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return false;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return false;
        }

        var host = address[..colon];
        var portText = address[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            return Uri.CheckHostName(host[1..^1]) == UriHostNameType.IPv6;
        }

        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
