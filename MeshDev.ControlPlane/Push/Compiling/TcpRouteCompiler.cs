using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// Turns the tcp[] of the VirtualServices in force into the tcp routes of a sidecar's route tables, one table per
/// upstream service, next to that table's http routes. Every match condition of a TCP route is known here: port is
/// the service port of the upstream's instances, sourceLabels, sourceNamespace and gateways describe this proxy. So a
/// route stays only when one of its match blocks holds (or it has none), in config order, and the proxy takes the
/// first. Gateways get none: MeshDev's gateway serves no TCP servers.
/// </summary>
public static class TcpRouteCompiler
{
    private static readonly IReadOnlySet<string> MeshOnly = new HashSet<string> { RouteCompiler.MeshGateway };

    public static void AddTo(IList<RouteTable> tables, Workload proxy, MeshConfig config, IReadOnlyCollection<Workload> workloads)
    {
        if (!proxy.IsSidecar)
        {
            return;
        }

        foreach (var upstream in proxy.UpstreamServices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var routes = Compile(upstream, proxy, config, workloads).ToList();
            if (routes.Count == 0)
            {
                continue;
            }

            var table = tables.FirstOrDefault(t => t.Name == upstream);
            if (table is null)
            {
                table = new RouteTable { Name = upstream };
                tables.Add(table);
            }

            table.TcpRoutes.AddRange(routes);
        }
    }

    public static IEnumerable<TcpRoute> Compile(string upstream, Workload proxy, MeshConfig config, IReadOnlyCollection<Workload> workloads)
    {
        var (service, @namespace) = ServiceHost.Resolve(upstream, proxy.Namespace);
        var servicePorts = workloads
            .Where(w => w.IsSidecar && w.Service == service && w.Namespace == @namespace)
            .Select(w => w.ServicePort)
            .ToHashSet();
        var services = config.OfKind<VirtualServiceResource>()
            .Where(vs => RouteCompiler.AppliesToMesh(vs.Spec.Gateways))
            .Where(vs => vs.Spec.Hosts.Any(h => ServiceHost.Names(h, vs.Metadata.Namespace, service, @namespace)));
        foreach (var vs in services)
        {
            for (var i = 0; i < vs.Spec.Tcp.Count; i++)
            {
                var spec = vs.Spec.Tcp[i];
                if (spec.Match.Count > 0 && !spec.Match.Any(m => MatchApplies(m, proxy, servicePorts, vs.Metadata.Namespace)))
                {
                    continue;
                }

                var route = new TcpRoute { Name = $"{vs.Metadata.Namespace}/{vs.Metadata.Name}/tcp/{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}" };
                foreach (var destination in spec.Route)
                {
                    route.Destinations.Add(new WeightedDestination
                    {
                        Service = ServiceHost.Resolve(destination.Destination!.Host!, vs.Metadata.Namespace).Service,
                        Subset = destination.Destination.Subset ?? "",
                        Port = (uint)(destination.Destination.Port?.Number ?? 0),
                        Weight = spec.Route.Count == 1 ? 100u : (uint)(destination.Weight ?? 0),
                    });
                }

                yield return route;
            }
        }
    }

    /// <remarks>
    /// Before any instance of the service has registered its port is unknown; a port condition is then left standing
    /// (no connection can go anywhere yet) and decided when the instances' registration triggers the next push.
    /// </remarks>
    private static bool MatchApplies(L4MatchAttributesSpec match, Workload proxy, IReadOnlySet<uint> servicePorts, string vsNamespace) =>
        RouteCompiler.SourceApplies(match.SourceLabels, match.SourceNamespace, match.Gateways, proxy, MeshOnly, vsNamespace)
        && (match.Port is not { } port || servicePorts.Count == 0 || servicePorts.Contains((uint)port));
}
