using MeshDev.Core.Discovery;

namespace MeshDev.Core.Config.Networking;

/// <summary>A VirtualService's tcp[] routes, checked with the same helpers as its http[] routes.</summary>
internal sealed partial class VirtualServiceValidator
{
    private void CheckTcpRoutes(VirtualServiceResource vs, bool meshBound)
    {
        var spec = vs.Spec;
        for (var i = 0; i < spec.Tcp.Count; i++)
        {
            CheckTcpRoute(vs, spec.Tcp[i], $"spec.tcp[{i}]");
        }

        if (spec.Tcp.Count > 0 && !meshBound)
        {
            Warning(vs, "spec.tcp", "tcp routes of a VirtualService bound only to gateways apply to a Gateway's TCP servers, which MeshDev's gateway does not serve; " +
                "these routes apply nowhere (add 'mesh' to spec.gateways for sidecars).");
        }

        // Istio applies tcp routes to TCP ports and http routes to HTTP ports only; the other kind is silently ignored.
        foreach (var host in spec.Hosts.Where(h => !ServiceHost.IsWildcard(h)))
        {
            var service = ServiceHost.Resolve(host, vs.Metadata.Namespace).Service;
            if (!services.Protocols.TryGetValue(service, out var protocol) || protocol == ServiceProtocol.Unspecified)
            {
                continue;
            }

            var tcp = protocol == ServiceProtocol.Tcp;
            if (spec.Tcp.Count > 0 && !tcp)
            {
                Warning(vs, "spec.tcp", $"host '{host}' speaks {ProtocolName(protocol)}; Istio applies tcp routes only to TCP ports, so they have no effect on it; " +
                    "route it with http routes, or make the service TCP (WithMeshSidecar(..., protocol: MeshProtocol.Tcp)).");
            }

            if (spec.Http.Count > 0 && tcp)
            {
                Warning(vs, "spec.http", $"host '{host}' speaks tcp; Istio applies http routes only to HTTP ports, so they have no effect on it; route it with tcp routes.");
            }
        }
    }

    private void CheckTcpRoute(VirtualServiceResource vs, TcpRouteSpec route, string path)
    {
        for (var j = 0; j < route.Match.Count; j++)
        {
            var match = route.Match[j];
            var matchPath = $"{path}.match[{j}]";
            if (match.Port is { } port and (< 1 or > 65535))
            {
                Error(vs, $"{matchPath}.port", $"port {port} is out of range; give the service port the connection is addressed to, from 1 to 65535.");
            }
            else if (match.Port is { } addressed && ServicePortsOfHosts(vs) is { Count: > 0 } ports && !ports.Contains((uint)addressed))
            {
                // Istio accepts it; the block simply never matches, which is worth saying.
                Warning(vs, $"{matchPath}.port", $"port {addressed} is not the service port of {string.Join(" or ", vs.Spec.Hosts.Select(h => $"'{h}'"))} " +
                    $"({string.Join(", ", ports.Order())}), so this match never applies; give the service port or leave port out.");
            }

            if (match.DestinationSubnets.Count > 0)
            {
                Unsupported(vs, $"{matchPath}.destinationSubnets", "matching on destinationSubnets", "a MeshDev sidecar knows a connection by its service's port");
            }

            if (match.SourceSubnet is not null)
            {
                Unsupported(vs, $"{matchPath}.sourceSubnet", "matching on sourceSubnet", "match the source by sourceLabels or sourceNamespace");
            }

            for (var k = 0; k < match.Gateways.Count; k++)
            {
                CheckGatewayReference(vs, $"{matchPath}.gateways[{k}]", match.Gateways[k]);
            }
        }

        if (route.Route.Count == 0)
        {
            Error(vs, $"{path}.route", "route is empty; give at least one destination, e.g. destination.host 'mongo'.");
            return;
        }

        // A tcp destination is an http one without header operations: the same host, subset, port and weight rules hold.
        CheckDestinations(vs, route.Route.Select(d => new HttpRouteDestinationSpec { Destination = d.Destination, Weight = d.Weight }).ToList(), path);
    }

    /// <summary>The registered service ports of the VirtualService's hosts; empty when none is known yet.</summary>
    private HashSet<uint> ServicePortsOfHosts(VirtualServiceResource vs) =>
        vs.Spec.Hosts
            .Where(h => !ServiceHost.IsWildcard(h))
            .Select(h => services.Ports.TryGetValue(ServiceHost.Resolve(h, vs.Metadata.Namespace).Service, out var port) ? port : 0)
            .Where(p => p != 0)
            .ToHashSet();

    private static string ProtocolName(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Http2 => "http2",
        ServiceProtocol.Grpc => "grpc",
        ServiceProtocol.Tcp => "tcp",
        _ => "http",
    };
}
