namespace MeshDev.Core.Config;

/// <summary>
/// Checks a whole config (every resource that would be in force together), as <c>istioctl analyze</c> does, and
/// refuses by name every Istio field that MeshDev reads but does not carry out yet: a field that is silently
/// ignored would make a developer believe a policy is in force when it is not.
/// </summary>
public sealed partial class ConfigValidator
{
    public const string NotSupported = "not supported by MeshDev yet";

    private static readonly HashSet<string> RetryConditions = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    private static readonly HashSet<string> GrpcStatuses = new(StringComparer.Ordinal)
    {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    };

    public static readonly IReadOnlyList<string> LoadBalancers = ["UNSPECIFIED", "LEAST_REQUEST", "LEAST_CONN", "ROUND_ROBIN", "RANDOM", "PASSTHROUGH"];

    private readonly IReadOnlyList<ConfigResource> _config;
    private readonly IReadOnlySet<string> _knownServices;
    private readonly IReadOnlyDictionary<string, uint> _servicePorts;
    private readonly IReadOnlyDictionary<string, Discovery.ServiceProtocol> _protocols;
    private readonly ConfigReport _report = new();

    private ConfigValidator(
        IReadOnlyList<ConfigResource> config,
        IReadOnlySet<string> knownServices,
        IReadOnlyDictionary<string, uint>? servicePorts,
        IReadOnlyDictionary<string, Discovery.ServiceProtocol>? protocols)
    {
        _config = config;
        _knownServices = knownServices;
        _servicePorts = servicePorts ?? new Dictionary<string, uint>();
        _protocols = protocols ?? new Dictionary<string, Discovery.ServiceProtocol>();
    }

    /// <param name="config">Every resource in force together, in creation order.</param>
    /// <param name="knownServices">Names of the mesh services config may route to.</param>
    /// <param name="servicePorts">The service port of each service whose port is known (a registered sidecar told it).</param>
    /// <param name="protocols">The protocol of each service whose protocol is known (a registered sidecar told it).</param>
    public static IReadOnlyList<ConfigMessage> Validate(
        IReadOnlyList<ConfigResource> config,
        IReadOnlySet<string> knownServices,
        IReadOnlyDictionary<string, uint>? servicePorts = null,
        IReadOnlyDictionary<string, Discovery.ServiceProtocol>? protocols = null)
    {
        var validator = new ConfigValidator(config, knownServices, servicePorts, protocols);
        validator.CheckDuplicates();
        foreach (var resource in config)
        {
            switch (resource)
            {
                case VirtualServiceResource vs:
                    validator.CheckVirtualService(vs);
                    break;
                case DestinationRuleResource dr:
                    validator.CheckDestinationRule(dr);
                    break;
                case GatewayResource gw:
                    validator.CheckGateway(gw);
                    break;
            }
        }

        Security.SecurityValidator.Validate(config, validator._report);
        return validator._report.Messages;
    }

    private void Error(ConfigResource resource, string field, string message) => _report.Error(resource, field, message);

    private void Warning(ConfigResource resource, string field, string message) => _report.Warning(resource, field, message);

    private void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        _report.Unsupported(resource, field, what, instead);

    private void CheckDuplicates()
    {
        var seen = new Dictionary<ResourceKey, ConfigResource>();
        var hosts = new Dictionary<(string, string), DestinationRuleResource>();
        foreach (var resource in _config)
        {
            if (!seen.TryAdd(resource.Key, resource))
            {
                var first = seen[resource.Key];
                Error(resource, "metadata.name",
                    $"{resource.Key} is defined twice (also in {first.Source} at line {first.Line}); give one of them another name or remove it.");
            }

            if (resource is DestinationRuleResource { Spec.Host: { Length: > 0 } host } dr && !ServiceHost.IsWildcard(host))
            {
                var key = ServiceHost.Resolve(host, dr.Metadata.Namespace);
                if (!hosts.TryAdd(key, dr) && hosts[key].Key != dr.Key)
                {
                    var first = hosts[key];
                    Error(dr, "spec.host",
                        $"host '{host}' already has DestinationRule {first.Metadata.Namespace}/{first.Metadata.Name} ({first.Source} line {first.Line}); " +
                        "two DestinationRules for one host conflict; merge their subsets and policies into one.");
                }
            }
        }
    }

    // ---- VirtualService ----

    private void CheckVirtualService(VirtualServiceResource vs)
    {
        var spec = vs.Spec;
        var meshBound = spec.Gateways.Count == 0 || spec.Gateways.Contains("mesh");

        if (spec.Hosts.Count == 0)
        {
            Error(vs, "spec.hosts", "hosts is empty; name at least one host, e.g. the service 'reviews'.");
        }

        for (var i = 0; i < spec.Hosts.Count; i++)
        {
            var host = spec.Hosts[i];
            var field = $"spec.hosts[{i}]";
            if (ServiceHost.IsWildcard(host))
            {
                if (meshBound)
                {
                    Error(vs, field, $"host '{host}' is a wildcard; wildcards are allowed only in a VirtualService bound to gateways (spec.gateways without 'mesh'); name a service such as 'reviews'.");
                }
            }
            else if (meshBound && !_knownServices.Contains(ServiceHost.Resolve(host, vs.Metadata.Namespace).Service))
            {
                Warning(vs, field, $"host '{host}' is not a known mesh service ({KnownServicesText()}); this VirtualService applies to no sidecar until such a service exists.");
            }
        }

        for (var i = 0; i < spec.Gateways.Count; i++)
        {
            CheckGatewayReference(vs, $"spec.gateways[{i}]", spec.Gateways[i]);
        }

        if (spec.Tls is not null)
        {
            Unsupported(vs, "spec.tls", "TLS routing", "MeshDev routes HTTP and TCP");
        }

        if (spec.ExportTo.Count > 0 && !(spec.ExportTo.Count == 1 && spec.ExportTo[0] == "*"))
        {
            Unsupported(vs, "spec.exportTo", "exportTo other than [\"*\"]", "every resource is visible to the whole mesh");
        }

        if (spec.Http.Count == 0 && spec.Tcp.Count == 0 && spec.Tls is null)
        {
            Error(vs, "spec.http", "http is empty; add at least one http route (or tcp route) with a destination.");
        }

        for (var i = 0; i < spec.Http.Count; i++)
        {
            CheckHttpRoute(vs, spec.Http[i], $"spec.http[{i}]");
        }

        CheckTcpRoutes(vs, meshBound);
    }

    private void CheckGatewayReference(VirtualServiceResource vs, string field, string reference)
    {
        if (reference == "mesh")
        {
            return;
        }

        var (ns, name) = reference.Contains('/') ? (reference[..reference.IndexOf('/')], reference[(reference.IndexOf('/') + 1)..]) : (vs.Metadata.Namespace, reference);
        if (!_config.OfType<GatewayResource>().Any(g => g.Metadata.Namespace == ns && g.Metadata.Name == name))
        {
            Error(vs, field, $"gateway '{reference}' is not defined: no Gateway {ns}/{name} in the config; apply that Gateway or name 'mesh' for sidecars.");
        }
    }

    private void CheckHttpRoute(VirtualServiceResource vs, HttpRouteSpec route, string path)
    {
        CheckRedirectAndRewrite(vs, route, path);

        CheckMirror(vs, route, path);

        if (route.CorsPolicy is not null)
        {
            Unsupported(vs, $"{path}.corsPolicy", "corsPolicy");
        }

        for (var j = 0; j < route.Match.Count; j++)
        {
            CheckMatch(vs, route.Match[j], $"{path}.match[{j}]");
        }

        if (route.Redirect is null)
        {
            CheckDestinations(vs, route.Route, path);
        }

        if (route.Retries is { } retries)
        {
            CheckRetries(vs, retries, $"{path}.retries");
        }

        if (route.Fault is { } fault)
        {
            CheckFault(vs, fault, $"{path}.fault");
        }

        CheckHeaders(vs, route.Headers, $"{path}.headers");
    }

    private void CheckMirror(VirtualServiceResource vs, HttpRouteSpec route, string path)
    {
        if (route.Mirror is not null && route.Mirrors.Count > 0)
        {
            Error(vs, $"{path}.mirrors", "give either mirror (with mirrorPercentage) or mirrors, not both.");
        }

        if (route.Mirror is { } mirror)
        {
            CheckDestination(vs, mirror, $"{path}.mirror");
        }

        if (route.MirrorPercentage is { } percentage)
        {
            CheckPercentage(vs, percentage, null, path, $"{path}.mirrorPercentage.value");
            if (route.Mirror is null)
            {
                // Istio ignores it then; saying so beats a mirror the developer believes is running.
                Warning(vs, $"{path}.mirrorPercentage", "mirrorPercentage has no effect without mirror; add mirror or remove mirrorPercentage.");
            }
        }

        if (route.Mirrors.Count > 1)
        {
            Unsupported(vs, $"{path}.mirrors", "more than one mirror", "keep one entry in mirrors");
        }

        for (var m = 0; m < route.Mirrors.Count; m++)
        {
            var item = route.Mirrors[m];
            var itemPath = $"{path}.mirrors[{m}]";
            if (item.Destination is null)
            {
                Error(vs, $"{itemPath}.destination", "destination is missing; give destination.host, e.g. 'reviews'.");
            }
            else
            {
                CheckDestination(vs, item.Destination, $"{itemPath}.destination");
            }

            CheckPercentage(vs, item.Percentage, null, itemPath);
        }
    }

    private void CheckMatch(VirtualServiceResource vs, HttpMatchRequestSpec match, string path)
    {
        CheckStringMatch(vs, match.Uri, $"{path}.uri");
        CheckStringMatch(vs, match.Method, $"{path}.method");
        foreach (var (kind, map) in new[] { ("headers", match.Headers), ("queryParams", match.QueryParams), ("withoutHeaders", match.WithoutHeaders) })
        {
            foreach (var (name, value) in map)
            {
                if (kind != "queryParams" && name != name.ToLowerInvariant())
                {
                    Error(vs, $"{path}.{kind}.{name}", $"header name '{name}' must be lowercase, as Istio requires; write '{name.ToLowerInvariant()}'.");
                }

                CheckStringMatch(vs, value, $"{path}.{kind}.{name}", allowEmpty: true);
            }
        }

        if (match.Authority is not null)
        {
            Unsupported(vs, $"{path}.authority", "matching on authority");
        }

        if (match.Scheme is not null)
        {
            Unsupported(vs, $"{path}.scheme", "matching on scheme");
        }

        if (match.Port is not null)
        {
            Unsupported(vs, $"{path}.port", "matching on port", "each MeshDev service has one port");
        }

        for (var k = 0; k < match.Gateways.Count; k++)
        {
            CheckGatewayReference(vs, $"{path}.gateways[{k}]", match.Gateways[k]);
        }
    }

    private void CheckStringMatch(VirtualServiceResource vs, StringMatchSpec? match, string path, bool allowEmpty = false)
    {
        if (match is null)
        {
            return;
        }

        if (match.Count > 1)
        {
            Error(vs, path, "give exactly one of exact, prefix or regex.");
        }
        else if (match.Count == 0 && !allowEmpty)
        {
            Error(vs, path, "give one of exact, prefix or regex.");
        }

        if (match.Regex is { } regex && Re2Syntax.Check(regex) is { } problem)
        {
            Error(vs, $"{path}.regex", $"regex '{regex}' is refused: {problem}; Envoy compiles regexes with RE2, so write it without lookaround, backreferences or possessive/atomic constructs.");
        }
    }

    private void CheckDestinations(VirtualServiceResource vs, IReadOnlyList<HttpRouteDestinationSpec> destinations, string path)
    {
        if (destinations.Count == 0)
        {
            Error(vs, $"{path}.route", "route is empty; give at least one destination, or a redirect instead of route.");
            return;
        }

        for (var k = 0; k < destinations.Count; k++)
        {
            var item = destinations[k];
            var itemPath = $"{path}.route[{k}]";
            if (item.Weight is < 0 or > 100)
            {
                Error(vs, $"{itemPath}.weight", $"weight {item.Weight} is out of range; give a number from 0 to 100.");
            }

            if (item.Headers is not null)
            {
                Unsupported(vs, $"{itemPath}.headers", "header operations per destination", $"put them on the route: {path}.headers");
            }

            if (item.Destination is null)
            {
                Error(vs, $"{itemPath}.destination", "destination is missing; give destination.host, e.g. 'reviews'.");
                continue;
            }

            CheckDestination(vs, item.Destination, $"{itemPath}.destination");
        }

        if (destinations.Count == 1)
        {
            if (destinations[0].Weight is { } single and not 100 and >= 0 and <= 100)
            {
                Error(vs, $"{path}.route[0].weight", $"weight is {single} but this is the route's only destination, which takes all traffic; give 100 or leave weight out.");
            }
        }
        else if (destinations.All(d => d.Weight is null or (>= 0 and <= 100)))
        {
            var sum = destinations.Sum(d => d.Weight ?? 0);
            if (sum != 100)
            {
                Error(vs, $"{path}.route", $"the weights of the destinations add up to {sum}; they must add up to 100 (a destination without weight counts as 0).");
            }
        }
    }

    private void CheckDestination(VirtualServiceResource vs, DestinationSpec destination, string path)
    {
        if (string.IsNullOrEmpty(destination.Host))
        {
            Error(vs, $"{path}.host", "host is missing; name the mesh service to route to, e.g. 'reviews'.");
            return;
        }

        if (ServiceHost.IsWildcard(destination.Host))
        {
            Error(vs, $"{path}.host", $"host '{destination.Host}' is a wildcard; a destination names one service, e.g. 'reviews'.");
            return;
        }

        var (service, ns) = ServiceHost.Resolve(destination.Host, vs.Metadata.Namespace);
        if (!_knownServices.Contains(service))
        {
            Error(vs, $"{path}.host", $"host '{destination.Host}' is not a known mesh service; known: {KnownServicesText()}.");
        }

        if (destination.Port?.Number is { } port and (< 1 or > 65535))
        {
            Error(vs, $"{path}.port.number", $"port {port} is out of range; give a port from 1 to 65535 (9080 for Bookinfo's services).");
        }

        if (destination.Subset is { } subset)
        {
            var rule = _config.OfType<DestinationRuleResource>().FirstOrDefault(r =>
                r.Spec.Host is { } h && !ServiceHost.IsWildcard(h) && ServiceHost.Resolve(h, r.Metadata.Namespace) == (service, ns));
            if (rule is null)
            {
                Error(vs, $"{path}.subset", $"subset '{subset}' of host '{destination.Host}' is not defined: no DestinationRule has host '{destination.Host}'; apply one that defines subset '{subset}'.");
            }
            else if (!rule.Spec.Subsets.Any(s => s.Name == subset))
            {
                var defined = rule.Spec.Subsets.Select(s => s.Name).ToList();
                Error(vs, $"{path}.subset", $"subset '{subset}' of host '{destination.Host}' is not defined by DestinationRule {rule.Metadata.Namespace}/{rule.Metadata.Name}; " +
                    (defined.Count == 0 ? "it defines no subsets." : $"it defines: {string.Join(", ", defined)}."));
            }
        }
    }

    private void CheckRetries(VirtualServiceResource vs, HttpRetrySpec retries, string path)
    {
        if (retries.Attempts is < 0)
        {
            Error(vs, $"{path}.attempts", $"attempts is {retries.Attempts}; give 0 (no retries) or more.");
        }

        if (retries.RetryRemoteLocalities is not null)
        {
            Unsupported(vs, $"{path}.retryRemoteLocalities", "retryRemoteLocalities", "MeshDev has one locality");
        }

        foreach (var condition in (retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!RetryConditions.Contains(condition) && !(int.TryParse(condition, out var code) && code is >= 100 and <= 599))
            {
                Error(vs, $"{path}.retryOn", $"retry condition '{condition}' is unknown; give a comma-separated list of: {string.Join(", ", RetryConditions.Order())} or HTTP status codes.");
            }
        }
    }

    private void CheckFault(VirtualServiceResource vs, HttpFaultInjectionSpec fault, string path)
    {
        if (fault.Delay is null && fault.Abort is null)
        {
            Error(vs, path, "fault names neither delay nor abort; give one of them or remove fault.");
        }

        if (fault.Delay is { } delay)
        {
            if (delay.ExponentialDelay is not null)
            {
                Unsupported(vs, $"{path}.delay.exponentialDelay", "exponentialDelay", "use fixedDelay");
            }
            else if (delay.FixedDelay is null)
            {
                Error(vs, $"{path}.delay.fixedDelay", "fixedDelay is missing; give a duration such as \"7s\".");
            }

            CheckPercentage(vs, delay.Percentage, delay.Percent, $"{path}.delay");
        }

        if (fault.Abort is { } abort)
        {
            if (abort.Http2Error is not null)
            {
                Unsupported(vs, $"{path}.abort.http2Error", "http2Error", "use httpStatus or grpcStatus");
            }

            if (abort.HttpStatus is null == abort.GrpcStatus is null && abort.Http2Error is null)
            {
                Error(vs, $"{path}.abort", "give exactly one of httpStatus or grpcStatus.");
            }

            if (abort.HttpStatus is { } status and (< 200 or > 599))
            {
                Error(vs, $"{path}.abort.httpStatus", $"httpStatus {status} is out of range; give an HTTP status from 200 to 599, e.g. 500.");
            }

            if (abort.GrpcStatus is { } grpc && !GrpcStatuses.Contains(grpc))
            {
                Error(vs, $"{path}.abort.grpcStatus", $"grpcStatus '{grpc}' is unknown; give a gRPC status name such as UNAVAILABLE.");
            }

            CheckPercentage(vs, abort.Percentage, abort.Percent, $"{path}.abort");
        }
    }

    /// <param name="valueField">Where percentage.value sits when it is not <c>{path}.percentage.value</c> (a route's mirrorPercentage).</param>
    private void CheckPercentage(VirtualServiceResource vs, PercentSpec? percentage, long? percent, string path, string? valueField = null)
    {
        if (percentage?.Value is { } value and (< 0 or > 100))
        {
            Error(vs, valueField ?? $"{path}.percentage.value", $"percentage {value} is out of range; give a number from 0 to 100.");
        }

        if (percent is { } p and (< 0 or > 100))
        {
            Error(vs, $"{path}.percent", $"percent {p} is out of range; give a number from 0 to 100.");
        }

        if (percentage is not null && percent is not null)
        {
            Error(vs, $"{path}.percent", "give either percentage.value or the deprecated percent, not both.");
        }
    }

    private void CheckHeaders(VirtualServiceResource vs, HeadersSpec? headers, string path)
    {
        foreach (var (operations, side) in new[] { (headers?.Request, "request"), (headers?.Response, "response") })
        {
            if (operations is null)
            {
                continue;
            }

            foreach (var name in operations.Set.Keys.Concat(operations.Add.Keys).Concat(operations.Remove))
            {
                if (name.Length == 0 || name.Any(c => c <= ' ' || c == ':' || c >= 127))
                {
                    Error(vs, $"{path}.{side}", $"header name '{name}' is not a valid HTTP header name.");
                }
            }
        }
    }

    // ---- DestinationRule ----

    private void CheckDestinationRule(DestinationRuleResource dr)
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
        else if (!_knownServices.Contains(ServiceHost.Resolve(spec.Host, dr.Metadata.Namespace).Service))
        {
            Error(dr, "spec.host", $"host '{spec.Host}' is not a known mesh service; known: {KnownServicesText()}.");
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
        CheckCount(dr, $"{path}.minimumRingSize", hash.MinimumRingSize, 8_388_608);

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
            CheckCount(dr, $"{path}.tcp.maxConnections", tcp.MaxConnections, int.MaxValue);
            CheckPositiveDuration(dr, $"{path}.tcp.connectTimeout", tcp.ConnectTimeout);
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
            CheckCount(dr, $"{path}.http.http1MaxPendingRequests", http.Http1MaxPendingRequests, int.MaxValue);
            CheckCount(dr, $"{path}.http.http2MaxRequests", http.Http2MaxRequests, int.MaxValue);
            CheckCount(dr, $"{path}.http.maxRequestsPerConnection", http.MaxRequestsPerConnection, int.MaxValue);
            CheckCount(dr, $"{path}.http.maxRetries", http.MaxRetries, int.MaxValue);
            CheckPositiveDuration(dr, $"{path}.http.idleTimeout", http.IdleTimeout);
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
        CheckCount(dr, $"{path}.consecutive5xxErrors", outlier.Consecutive5xxErrors, uint.MaxValue);
        CheckCount(dr, $"{path}.consecutiveGatewayErrors", outlier.ConsecutiveGatewayErrors, uint.MaxValue);
        CheckPositiveDuration(dr, $"{path}.interval", outlier.Interval);
        CheckPositiveDuration(dr, $"{path}.baseEjectionTime", outlier.BaseEjectionTime);
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

    private void CheckCount(ConfigResource resource, string field, long? value, long max)
    {
        CheckNonNegative(resource, field, value);
        if (value > max)
        {
            Error(resource, field, $"{value} is out of range; give 0 to {max}.");
        }
    }

    /// <summary>Istio refuses durations under a millisecond, which Envoy would round to "no timeout" or "no interval".</summary>
    private void CheckPositiveDuration(ConfigResource resource, string field, TimeSpan? value)
    {
        if (value < TimeSpan.FromMilliseconds(1))
        {
            Error(resource, field, $"duration {value.Value.TotalMilliseconds}ms is too short; give at least 1ms, e.g. \"10s\".");
        }
    }

    private void CheckNonNegative(ConfigResource resource, string field, long? value)
    {
        if (value is < 0)
        {
            Error(resource, field, $"{value} is negative; give 0 or more.");
        }
    }

    // ---- Gateway ----

    private void CheckGateway(GatewayResource gateway)
    {
        var spec = gateway.Spec;
        if (spec.Servers.Count == 0)
        {
            Error(gateway, "spec.servers", "servers is empty; give at least one server with a port and hosts.");
        }

        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var server = spec.Servers[i];
            var path = $"spec.servers[{i}]";
            if (server.Port?.Number is not { } number)
            {
                Error(gateway, $"{path}.port.number", "port.number is missing; give the port the gateway listens on, e.g. 80.");
            }
            else if (number is < 1 or > 65535)
            {
                Error(gateway, $"{path}.port.number", $"port {number} is out of range; give a port from 1 to 65535.");
            }

            if (server.Port?.Protocol is { } protocol && !(protocol.ToUpperInvariant() is "HTTP" or "HTTP2" or "GRPC"))
            {
                Unsupported(gateway, $"{path}.port.protocol", $"protocol '{protocol}'", "MeshDev's gateway serves HTTP, HTTP2 and GRPC");
            }

            if (server.Port?.TargetPort is not null)
            {
                Unsupported(gateway, $"{path}.port.targetPort", "targetPort");
            }

            if (server.Hosts.Count == 0)
            {
                Error(gateway, $"{path}.hosts", "hosts is empty; give the hosts this server accepts, e.g. \"*\".");
            }

            if (server.Tls is not null)
            {
                Unsupported(gateway, $"{path}.tls", "TLS on the gateway");
            }

            if (server.Bind is not null)
            {
                Unsupported(gateway, $"{path}.bind", "bind");
            }

            if (server.DefaultEndpoint is not null)
            {
                Unsupported(gateway, $"{path}.defaultEndpoint", "defaultEndpoint");
            }
        }
    }

    private string KnownServicesText() =>
        _knownServices.Count == 0 ? "none declared or registered yet" : string.Join(", ", _knownServices.Order(StringComparer.Ordinal));
}
