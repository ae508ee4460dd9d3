namespace MeshDev.Core.Config.Networking;

/// <summary>
/// Checks a DestinationRule: its host, subsets and traffic policies (load balancer, connection pool, outlier
/// detection); portLevelSettings and client TLS are in the partial files beside this one.
/// </summary>
internal sealed partial class DestinationRuleValidator(ConfigReport report, MeshServices services)
{
    private static readonly IReadOnlyList<string> LoadBalancers = ["UNSPECIFIED", "LEAST_REQUEST", "LEAST_CONN", "ROUND_ROBIN", "RANDOM", "PASSTHROUGH"];

    private void Error(ConfigResource resource, string field, string message) => report.Error(resource, field, message);

    private void Warning(ConfigResource resource, string field, string message) => report.Warning(resource, field, message);

    private void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        report.Unsupported(resource, field, what, instead);

    public void Check(DestinationRuleResource dr)
    {
        var spec = dr.Spec;
        if (string.IsNullOrEmpty(spec.Host))
        {
            Error(dr, "spec.host", "host is missing; name the mesh service this rule is for, e.g. 'reviews'.");
        }
        else if (ServiceHost.IsWildcard(spec.Host))
        {
            Error(dr, "spec.host", $"host '{spec.Host}' is a wildcard; MeshDev takes a DestinationRule for one service, e.g. 'reviews'.");
        }
        else if (!services.Names.Contains(ServiceHost.Resolve(spec.Host, dr.Metadata.Namespace).Service))
        {
            Error(dr, "spec.host", $"host '{spec.Host}' is not a known mesh service; known: {services.Describe()}.");
        }

        if (spec.ExportTo.Count > 0 && !(spec.ExportTo.Count == 1 && spec.ExportTo[0] == "*"))
        {
            Unsupported(dr, "spec.exportTo", "exportTo other than [\"*\"]", "every resource is visible to the whole mesh");
        }

        if (spec.WorkloadSelector is not null)
        {
            Unsupported(dr, "spec.workloadSelector", "workloadSelector");
        }

        CheckTrafficPolicy(dr, spec.TrafficPolicy, "spec.trafficPolicy");

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Subsets.Count; i++)
        {
            var subset = spec.Subsets[i];
            var path = $"spec.subsets[{i}]";
            if (string.IsNullOrEmpty(subset.Name))
            {
                Error(dr, $"{path}.name", "name is missing; every subset needs a name, e.g. 'v1'.");
            }
            else if (!names.Add(subset.Name))
            {
                Error(dr, $"{path}.name", $"subset '{subset.Name}' is defined twice in this DestinationRule; give each subset its own name.");
            }

            CheckTrafficPolicy(dr, subset.TrafficPolicy, $"{path}.trafficPolicy");

            // Istio's subset loadBalancer replaces the rule's whole, hash included; the snapshot carries a subset's
            // hash only as an addition to the rule's, so a simple policy there would still hash: refuse, not mislead.
            if (SubsetLoadBalancerDroppingRuleHash(dr, subset, path) is { } field)
            {
                Unsupported(dr, field, "a subset loadBalancer without consistentHash when spec.trafficPolicy hashes",
                    "give the subset a consistentHash too, or move consistentHash from spec.trafficPolicy to the subsets that hash");
            }
        }
    }

    private void CheckTrafficPolicy(DestinationRuleResource dr, TrafficPolicySpec? policy, string path)
    {
        if (policy is null)
        {
            return;
        }

        if (policy.LoadBalancer is { } lb)
        {
            if (lb.Simple is { } simple && !LoadBalancers.Contains(simple))
            {
                Error(dr, $"{path}.loadBalancer.simple", $"load balancer '{simple}' is unknown; give one of: {string.Join(", ", LoadBalancers)}.");
            }

            if (lb.ConsistentHash is { } hash)
            {
                if (lb.Simple is not null)
                {
                    Error(dr, $"{path}.loadBalancer.consistentHash", "give either simple or consistentHash, not both: they are alternatives.");
                }

                CheckConsistentHash(dr, hash, $"{path}.loadBalancer.consistentHash");
            }

            if (lb.LocalityLbSetting is not null)
            {
                Unsupported(dr, $"{path}.loadBalancer.localityLbSetting", "localityLbSetting", "MeshDev has one locality");
            }

            if (lb.WarmupDurationSecs is not null)
            {
                Unsupported(dr, $"{path}.loadBalancer.warmupDurationSecs", "warmupDurationSecs");
            }
        }

        if (policy.ConnectionPool is { } pool)
        {
            CheckConnectionPool(dr, pool, $"{path}.connectionPool");
        }

        if (policy.OutlierDetection is { } outlier)
        {
            CheckOutlierDetection(dr, outlier, $"{path}.outlierDetection");
        }

        if (policy.Tls is { } tls)
        {
            CheckClientTls(dr, tls, $"{path}.tls", clusterLevel: path == "spec.trafficPolicy");
        }

        CheckPortLevelSettings(dr, policy.PortLevelSettings, $"{path}.portLevelSettings");
    }

    private void CheckConsistentHash(DestinationRuleResource dr, ConsistentHashSpec hash, string path)
    {
        var keys = new[]
        {
            ("httpHeaderName", hash.HttpHeaderName is not null),
            ("httpCookie", hash.HttpCookie is not null),
            ("useSourceIp", hash.UseSourceIp is true),
            ("httpQueryParameterName", hash.HttpQueryParameterName is not null),
        }.Where(k => k.Item2).Select(k => k.Item1).ToList();
        if (keys.Count == 0)
        {
            Error(dr, path, "consistentHash names no hash key; give one of httpHeaderName, httpCookie, useSourceIp: true or httpQueryParameterName.");
        }
        else if (keys.Count > 1)
        {
            Error(dr, $"{path}.{keys[1]}", $"consistentHash takes one hash key, got {string.Join(" and ", keys)}; keep one.");
        }

        if (hash.HttpHeaderName is "")
        {
            Error(dr, $"{path}.httpHeaderName", "httpHeaderName is empty; name the request header to hash, e.g. 'x-user'.");
        }

        if (hash.HttpQueryParameterName is "")
        {
            Error(dr, $"{path}.httpQueryParameterName", "httpQueryParameterName is empty; name the query parameter to hash.");
        }

        if (hash.HttpCookie is { } cookie)
        {
            if (string.IsNullOrEmpty(cookie.Name))
            {
                Error(dr, $"{path}.httpCookie.name", "name is missing; name the cookie to hash, e.g. 'session'.");
            }

            CheckHashCookie(dr, cookie, $"{path}.httpCookie");

            if (cookie.Attributes is not null)
            {
                Unsupported(dr, $"{path}.httpCookie.attributes", "httpCookie.attributes");
            }
        }

        // Envoy's ring holds at most 8M entries and refuses a minimum above that.
        NumericFields.CheckCount(report, dr, $"{path}.minimumRingSize", hash.MinimumRingSize, 8_388_608);

        if (hash.RingHash is not null)
        {
            Unsupported(dr, $"{path}.ringHash", "ringHash settings", "use minimumRingSize");
        }

        if (hash.Maglev is not null)
        {
            Unsupported(dr, $"{path}.maglev", "maglev", "MeshDev hashes onto a ring; use minimumRingSize");
        }
    }

    private void CheckConnectionPool(DestinationRuleResource dr, ConnectionPoolSpec pool, string path)
    {
        if (pool.Tcp is null && pool.Http is null)
        {
            Error(dr, path, "connectionPool sets neither tcp nor http; give at least one of them or remove connectionPool.");
        }

        if (pool.Tcp is { } tcp)
        {
            NumericFields.CheckCount(report, dr, $"{path}.tcp.maxConnections", tcp.MaxConnections, int.MaxValue);
            NumericFields.CheckPositiveDuration(report, dr, $"{path}.tcp.connectTimeout", tcp.ConnectTimeout);
            if (tcp.TcpKeepalive is not null)
            {
                Unsupported(dr, $"{path}.tcp.tcpKeepalive", "tcpKeepalive");
            }

            if (tcp.MaxConnectionDuration is not null)
            {
                Unsupported(dr, $"{path}.tcp.maxConnectionDuration", "maxConnectionDuration");
            }

            if (tcp.IdleTimeout is not null)
            {
                Unsupported(dr, $"{path}.tcp.idleTimeout", "tcp.idleTimeout", "use http.idleTimeout");
            }
        }

        if (pool.Http is { } http)
        {
            NumericFields.CheckCount(report, dr, $"{path}.http.http1MaxPendingRequests", http.Http1MaxPendingRequests, int.MaxValue);
            NumericFields.CheckCount(report, dr, $"{path}.http.http2MaxRequests", http.Http2MaxRequests, int.MaxValue);
            NumericFields.CheckCount(report, dr, $"{path}.http.maxRequestsPerConnection", http.MaxRequestsPerConnection, int.MaxValue);
            NumericFields.CheckCount(report, dr, $"{path}.http.maxRetries", http.MaxRetries, int.MaxValue);
            NumericFields.CheckPositiveDuration(report, dr, $"{path}.http.idleTimeout", http.IdleTimeout);
            if (http.H2UpgradePolicy is not null)
            {
                Unsupported(dr, $"{path}.http.h2UpgradePolicy", "h2UpgradePolicy");
            }

            if (http.UseClientProtocol is not null)
            {
                Unsupported(dr, $"{path}.http.useClientProtocol", "useClientProtocol");
            }

            if (http.MaxConcurrentStreams is not null)
            {
                Unsupported(dr, $"{path}.http.maxConcurrentStreams", "maxConcurrentStreams");
            }
        }
    }

    private void CheckOutlierDetection(DestinationRuleResource dr, OutlierDetectionSpec outlier, string path)
    {
        NumericFields.CheckCount(report, dr, $"{path}.consecutive5xxErrors", outlier.Consecutive5xxErrors, uint.MaxValue);
        NumericFields.CheckCount(report, dr, $"{path}.consecutiveGatewayErrors", outlier.ConsecutiveGatewayErrors, uint.MaxValue);
        NumericFields.CheckPositiveDuration(report, dr, $"{path}.interval", outlier.Interval);
        NumericFields.CheckPositiveDuration(report, dr, $"{path}.baseEjectionTime", outlier.BaseEjectionTime);
        if (outlier.MaxEjectionPercent is < 0 or > 100)
        {
            Error(dr, $"{path}.maxEjectionPercent", $"maxEjectionPercent {outlier.MaxEjectionPercent} is out of range; give 0 to 100.");
        }

        if (outlier.MinHealthPercent is < 0 or > 100)
        {
            Error(dr, $"{path}.minHealthPercent", $"minHealthPercent {outlier.MinHealthPercent} is out of range; give 0 to 100.");
        }

        if (outlier.ConsecutiveErrors is not null)
        {
            Unsupported(dr, $"{path}.consecutiveErrors", "the deprecated consecutiveErrors", "use consecutive5xxErrors");
        }

        if (outlier.ConsecutiveLocalOriginFailures is not null)
        {
            Unsupported(dr, $"{path}.consecutiveLocalOriginFailures", "consecutiveLocalOriginFailures", "use consecutiveGatewayErrors, which counts connection failures");
        }

        if (outlier.SplitExternalLocalOriginErrors is not null)
        {
            Unsupported(dr, $"{path}.splitExternalLocalOriginErrors", "splitExternalLocalOriginErrors");
        }
    }
}
