namespace MeshDev.Core.Config.Networking;

/// <summary>
/// Checks a VirtualService: its hosts and gateways, and each http[] route (match, destinations and weights, retries,
/// faults, mirrors, header operations); redirect/rewrite and tcp[] routes are in the partial files beside this one.
/// </summary>
internal sealed partial class VirtualServiceValidator(ConfigReport report, IReadOnlyList<ConfigResource> config, MeshServices services)
{
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

    private void Error(ConfigResource resource, string field, string message) => report.Error(resource, field, message);

    private void Warning(ConfigResource resource, string field, string message) => report.Warning(resource, field, message);

    private void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        report.Unsupported(resource, field, what, instead);

    public void Check(VirtualServiceResource vs)
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
            else if (meshBound && !services.Names.Contains(ServiceHost.Resolve(host, vs.Metadata.Namespace).Service))
            {
                Warning(vs, field, $"host '{host}' is not a known mesh service ({services.Describe()}); this VirtualService applies to no sidecar until such a service exists.");
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
        if (!config.OfType<GatewayResource>().Any(g => g.Metadata.Namespace == ns && g.Metadata.Name == name))
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
        if (!services.Names.Contains(service))
        {
            Error(vs, $"{path}.host", $"host '{destination.Host}' is not a known mesh service; known: {services.Describe()}.");
        }

        if (destination.Port?.Number is { } port and (< 1 or > 65535))
        {
            Error(vs, $"{path}.port.number", $"port {port} is out of range; give a port from 1 to 65535 (9080 for Bookinfo's services).");
        }

        if (destination.Subset is { } subset)
        {
            var rule = config.OfType<DestinationRuleResource>().FirstOrDefault(r =>
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
}
