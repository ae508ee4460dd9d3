using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// Turns the VirtualServices in force into the route tables of one proxy. A sidecar gets a table per upstream
/// service, from the VirtualServices that apply to the mesh and name that service; a gateway gets a table per
/// server port of the Gateways that select it, from the VirtualServices bound to those Gateways. Match blocks that
/// cannot apply to this proxy (sourceLabels, sourceNamespace or gateways it does not satisfy) are resolved here,
/// so the proxy only evaluates what the request itself carries.
/// </summary>
public static class RouteCompiler
{
    public const string MeshGateway = "mesh";

    public static IEnumerable<RouteTable> Compile(Workload proxy, MeshConfig config) =>
        proxy.IsSidecar ? SidecarTables(proxy, config) : GatewayTables(proxy, config);

    private static IEnumerable<RouteTable> SidecarTables(Workload proxy, MeshConfig config)
    {
        foreach (var upstream in proxy.UpstreamServices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var (service, @namespace) = ServiceHost.Resolve(upstream, proxy.Namespace);
            var services = config.OfKind<VirtualServiceResource>()
                .Where(vs => AppliesToMesh(vs.Spec.Gateways))
                .Where(vs => vs.Spec.Hosts.Any(h => ServiceHost.Names(h, vs.Metadata.Namespace, service, @namespace)));
            var table = Table(upstream, services, proxy, new HashSet<string> { MeshGateway });
            if (table.Routes.Count > 0)
            {
                yield return table;
            }
        }
    }

    private static IEnumerable<RouteTable> GatewayTables(Workload proxy, MeshConfig config)
    {
        var servers = config.OfKind<GatewayResource>()
            .Where(g => g.Spec.Selector.All(s => proxy.Labels.TryGetValue(s.Key, out var v) && v == s.Value))
            .SelectMany(g => g.Spec.Servers.Where(s => s.Port?.Number is not null).Select(s => (Gateway: g, Server: s)))
            .GroupBy(x => x.Server.Port!.Number!.Value)
            .OrderBy(g => g.Key);

        foreach (var port in servers)
        {
            var services = config.OfKind<VirtualServiceResource>().Where(vs => port.Any(x =>
                vs.Spec.Gateways.Any(name => NamesGateway(name, vs.Metadata.Namespace, x.Gateway))
                && vs.Spec.Hosts.Any(h => x.Server.Hosts.Any(sh => ServiceHost.Intersect(h, sh)))));
            var gatewayNames = port.SelectMany(x => new[] { x.Gateway.Metadata.Name, $"{x.Gateway.Metadata.Namespace}/{x.Gateway.Metadata.Name}" }).ToHashSet();
            var table = Table(port.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), services, proxy, gatewayNames);
            if (table.Routes.Count > 0)
            {
                yield return table;
            }
        }
    }

    /// <param name="gateways">The names under which this proxy is addressed by a match block's gateways ("mesh" for a sidecar).</param>
    private static RouteTable Table(string name, IEnumerable<VirtualServiceResource> services, Workload proxy, IReadOnlySet<string> gateways)
    {
        var table = new RouteTable { Name = name };
        foreach (var vs in services)
        {
            for (var i = 0; i < vs.Spec.Http.Count; i++)
            {
                if (CompileRoute(vs, i, proxy, gateways) is { } route)
                {
                    table.Routes.Add(route);
                }
            }
        }

        return table;
    }

    private static HttpRoute? CompileRoute(VirtualServiceResource vs, int index, Workload proxy, IReadOnlySet<string> gateways)
    {
        var spec = vs.Spec.Http[index];
        var matches = spec.Match.Where(m => MatchApplies(m, proxy, gateways, vs.Metadata.Namespace)).ToList();
        if (spec.Match.Count > 0 && matches.Count == 0)
        {
            // Every block names sources this proxy is not: the route cannot match here.
            return null;
        }

        var route = new HttpRoute
        {
            Name = $"{vs.Metadata.Namespace}/{vs.Metadata.Name}/{spec.Name ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            TimeoutMs = (long)(spec.Timeout?.TotalMilliseconds ?? 0),
        };
        route.Matches.AddRange(matches.Select(CompileMatch));
        foreach (var destination in spec.Route)
        {
            route.Destinations.Add(new WeightedDestination
            {
                Service = ClusterName(destination.Destination!.Host!, vs.Metadata.Namespace, proxy.Namespace),
                Subset = destination.Destination.Subset ?? "",
                Port = (uint)(destination.Destination.Port?.Number ?? 0),
                Weight = spec.Route.Count == 1 ? 100u : (uint)(destination.Weight ?? 0),
            });
        }

        if (spec.Redirect is { } redirect)
        {
            // The proxy answers it itself: no destination, and nothing of forwarding (mirror, retries) applies.
            route.Redirect = RedirectRewriteCompiler.Redirect(redirect);
            if (spec.Headers?.Response is { } redirectResponse)
            {
                route.ResponseHeaders = HeaderOperations(redirectResponse);
            }

            return route;
        }

        if (spec.Rewrite is { } rewrite)
        {
            route.Rewrite = RedirectRewriteCompiler.Rewrite(rewrite);
        }

        // mirror with mirrorPercentage, or its newer form: mirrors with one entry (the validator refuses more).
        var (mirror, mirrorPercentage) = spec.Mirror is { } single ? (single, spec.MirrorPercentage)
            : spec.Mirrors.Count > 0 ? (spec.Mirrors[0].Destination, spec.Mirrors[0].Percentage)
            : (null, null);
        // Mirroring 0% of requests is no mirror at all; leaving it out keeps the proxy from reading 0 as "unset".
        if (mirror is not null && Percentage(mirrorPercentage, null) > 0)
        {
            route.Mirror = new WeightedDestination
            {
                Service = ClusterName(mirror.Host!, vs.Metadata.Namespace, proxy.Namespace),
                Subset = mirror.Subset ?? "",
                Port = (uint)(mirror.Port?.Number ?? 0),
                Weight = 100,
            };
            route.MirrorPercentage = Percentage(mirrorPercentage, null);
        }

        if (spec.Retries is { } retries)
        {
            var policy = new RetryPolicy
            {
                Attempts = (uint)(retries.Attempts ?? 0),
                PerTryTimeoutMs = (long)(retries.PerTryTimeout?.TotalMilliseconds ?? 0),
            };
            policy.RetryOn.AddRange((retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            route.Retries = policy;
        }

        if (spec.Fault is { } fault)
        {
            route.Fault = new FaultInjection();
            if (fault.Delay is { } delay)
            {
                route.Fault.Delay = new FaultDelay
                {
                    FixedDelayMs = (long)(delay.FixedDelay?.TotalMilliseconds ?? 0),
                    Percentage = Percentage(delay.Percentage, delay.Percent),
                };
            }

            if (fault.Abort is { } abort)
            {
                route.Fault.Abort = new FaultAbort
                {
                    HttpStatus = (uint)(abort.HttpStatus ?? 0),
                    GrpcStatus = abort.GrpcStatus ?? "",
                    Percentage = Percentage(abort.Percentage, abort.Percent),
                };
            }
        }

        if (spec.Headers?.Request is { } request)
        {
            route.RequestHeaders = HeaderOperations(request);
        }

        if (spec.Headers?.Response is { } response)
        {
            route.ResponseHeaders = HeaderOperations(response);
        }

        return route;
    }

    private static bool MatchApplies(HttpMatchRequestSpec match, Workload proxy, IReadOnlySet<string> gateways, string vsNamespace) =>
        SourceApplies(match.SourceLabels, match.SourceNamespace, match.Gateways, proxy, gateways, vsNamespace);

    /// <summary>Whether a match block's source conditions (shared by http and tcp matches) hold for this proxy.</summary>
    internal static bool SourceApplies(
        IReadOnlyDictionary<string, string> sourceLabels,
        string? sourceNamespace,
        IReadOnlyList<string> matchGateways,
        Workload proxy,
        IReadOnlySet<string> gateways,
        string vsNamespace) =>
        sourceLabels.All(l => proxy.Labels.TryGetValue(l.Key, out var v) && v == l.Value)
        && (sourceNamespace is null || sourceNamespace == proxy.Namespace)
        && (matchGateways.Count == 0 || matchGateways.Any(g => gateways.Contains(g) || gateways.Contains($"{vsNamespace}/{g}")));

    private static RouteMatch CompileMatch(HttpMatchRequestSpec spec)
    {
        var match = new RouteMatch { IgnoreUriCase = spec.IgnoreUriCase };
        if (spec.Uri is not null)
        {
            match.Uri = StringMatch(spec.Uri);
        }

        if (spec.Method is not null)
        {
            match.Method = StringMatch(spec.Method);
        }

        // Maps are serialized in insertion order: sorted keys keep the snapshot's version stable.
        foreach (var (name, value) in spec.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            match.Headers.Add(name, StringMatch(value));
        }

        foreach (var (name, value) in spec.QueryParams.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            match.QueryParams.Add(name, StringMatch(value));
        }

        foreach (var (name, value) in spec.WithoutHeaders.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            match.WithoutHeaders.Add(name, StringMatch(value));
        }

        return match;
    }

    /// <summary>An empty match (e.g. "end-user: {}") is a presence check, which a regex of anything expresses.</summary>
    private static StringMatch StringMatch(StringMatchSpec spec) =>
        spec.Exact is { } exact ? new StringMatch { Exact = exact }
        : spec.Prefix is { } prefix ? new StringMatch { Prefix = prefix }
        : new StringMatch { Regex = spec.Regex ?? ".*" };

    /// <summary>percentage.value, else the deprecated integer percent, else 100 as in Istio.</summary>
    private static double Percentage(PercentSpec? percentage, long? percent) => percentage?.Value ?? percent ?? 100;

    private static HeaderOperations HeaderOperations(HeaderOperationsSpec spec)
    {
        var operations = new HeaderOperations();
        foreach (var (name, value) in spec.Set.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            operations.Set.Add(name, value);
        }

        foreach (var (name, value) in spec.Add.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            operations.Add.Add(name, value);
        }

        operations.Remove.AddRange(spec.Remove);
        return operations;
    }

    internal static bool AppliesToMesh(IReadOnlyList<string> gateways) => gateways.Count == 0 || gateways.Contains(MeshGateway);

    /// <summary>
    /// The cluster a destination host names, for a proxy in <paramref name="proxyNamespace"/>: the bare service name
    /// within the proxy's namespace, "service.namespace" across namespaces (the ingress gateway runs in istio-system
    /// and routes to services in default), which the snapshot compiler resolves back to that service.
    /// </summary>
    private static string ClusterName(string host, string resourceNamespace, string proxyNamespace)
    {
        var (service, @namespace) = ServiceHost.Resolve(host, resourceNamespace);
        return @namespace == proxyNamespace ? service : $"{service}.{@namespace}";
    }

    private static bool NamesGateway(string reference, string vsNamespace, GatewayResource gateway) =>
        reference == gateway.Metadata.Name && vsNamespace == gateway.Metadata.Namespace
        || reference == $"{gateway.Metadata.Namespace}/{gateway.Metadata.Name}";
}
