using MeshDev.Core.Discovery;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound;

/// <summary>What a listener hands the route forwarder: which table routes its requests and what to do without one.</summary>
/// <param name="TableName">The route table's name in the snapshot: the outbound service, or the gateway's port.</param>
/// <param name="DefaultRoute">Used when the snapshot has no table of that name; null answers 404 (a gateway).</param>
/// <param name="FallbackProtocol">The listener's protocol, for clusters whose protocol the snapshot leaves unspecified.</param>
public sealed record RouteScope(string TableName, CompiledRoute? DefaultRoute, ServiceProtocol FallbackProtocol, RouteStats Stats);
