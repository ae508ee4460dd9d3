using MeshDev.Core.Discovery;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// Turns the route tables of a snapshot that <see cref="Discovery.SnapshotValidator"/> accepted into matchers ready for
/// the hot path. Only what needs compiling can still fail here: a regular expression.
/// </summary>
public static class RouteTableCompiler
{
    /// <exception cref="InvalidSnapshotException">A regex does not compile; the message names table, route and field.</exception>
    public static CompiledRouteTable Compile(Core.Discovery.RouteTable table, RegexCache regexes)
    {
        var routes = new CompiledRoute[table.Routes.Count];
        for (var r = 0; r < routes.Length; r++)
        {
            var route = table.Routes[r];
            var where = $"route table '{table.Name}' route '{RouteLabel(route, r)}'";
            var matches = new RequestMatch[route.Matches.Count];
            for (var m = 0; m < matches.Length; m++)
            {
                matches[m] = CompileMatch(route.Matches[m], regexes, $"{where} matches[{m}]");
            }

            var destinations = route.Destinations
                .Select(d => new RouteDestination(d.Service, d.Subset, (int)d.Weight))
                .ToArray();
            var retries = route.Retries is null ? RetryPolicy.Default : RetryPolicy.Parse(route.Retries, out _);
            routes[r] = new CompiledRoute(
                string.IsNullOrEmpty(route.Name) ? $"{table.Name}/{r}" : route.Name,
                matches,
                destinations,
                TimeSpan.FromMilliseconds(route.TimeoutMs),
                retries,
                CompileFault(route.Fault),
                HeaderOperations.From(route.RequestHeaders),
                HeaderOperations.From(route.ResponseHeaders),
                route.Mirror is { } mirror ? new RouteMirror(mirror.Service, mirror.Subset, route.MirrorPercentage == 0 ? 100 : route.MirrorPercentage) : null,
                route.Redirect is { } redirect ? new RouteRedirect(redirect) : null,
                route.Rewrite is { } rewrite ? new RouteRewrite(rewrite, where) : null);
        }

        var tcpRoutes = table.TcpRoutes
            .Select((route, index) => new CompiledTcpRoute(
                string.IsNullOrEmpty(route.Name) ? $"{table.Name}/tcp/{index}" : route.Name,
                route.Destinations.Select(d => new RouteDestination(d.Service, d.Subset, (int)d.Weight)).ToArray()))
            .ToArray();
        return new CompiledRouteTable(table.Name, routes, tcpRoutes);
    }

    public static string RouteLabel(HttpRoute route, int index) => string.IsNullOrEmpty(route.Name) ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : route.Name;

    private static RequestMatch CompileMatch(RouteMatch match, RegexCache regexes, string where)
    {
        return new RequestMatch(
            match.Uri is null ? null : StringMatcher.Compile(match.Uri, match.IgnoreUriCase, regexes, $"{where}.uri"),
            match.Method is null ? null : StringMatcher.Compile(match.Method, ignoreCase: false, regexes, $"{where}.method"),
            Compile(match.Headers, regexes, $"{where}.headers"),
            Compile(match.QueryParams, regexes, $"{where}.query_params"),
            Compile(match.WithoutHeaders, regexes, $"{where}.without_headers"),
            match.IgnoreUriCase);
    }

    private static KeyValuePair<string, StringMatcher>[] Compile(IDictionary<string, StringMatch> matches, RegexCache regexes, string where) =>
        matches
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => KeyValuePair.Create(m.Key, StringMatcher.Compile(m.Value, ignoreCase: false, regexes, $"{where}['{m.Key}']")))
            .ToArray();

    private static RouteFault? CompileFault(Core.Discovery.FaultInjection? fault)
    {
        if (fault is null || (fault.Delay is null && fault.Abort is null))
        {
            return null;
        }

        int? grpc = null;
        if (fault.Abort is { GrpcStatus.Length: > 0 } && GrpcStatusCodes.TryParse(fault.Abort.GrpcStatus, out var code))
        {
            grpc = code;
        }

        return new RouteFault(
            TimeSpan.FromMilliseconds(fault.Delay?.FixedDelayMs ?? 0),
            fault.Delay?.Percentage ?? 0,
            grpc is null ? (int)(fault.Abort?.HttpStatus ?? 0) : 0,
            grpc,
            fault.Abort?.Percentage ?? 0);
    }
}
