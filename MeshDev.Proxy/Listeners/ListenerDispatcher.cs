using System.Collections.Frozen;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// The whole request pipeline: every listener has its own port, so the local port of the connection says which
/// listener a request arrived on and therefore what serves it. TCP listeners get their connections from Kestrel
/// directly (see <see cref="KestrelListeners"/>) and never reach this dispatch.
/// </summary>
/// <param name="admin">The admin listener, and <paramref name="health"/> the app-facing health listener: given apart
/// from the traffic listeners because they serve the proxy itself, not the mesh.</param>
public sealed class ListenerDispatcher(
    IEnumerable<IListenerHandler> trafficListeners, IEnumerable<ITcpListenerHandler> tcpListeners, IListenerHandler admin, IListenerHandler? health = null)
{
    private readonly FrozenDictionary<int, IListenerHandler> _byPort =
        trafficListeners.Append(admin).Concat(health is null ? [] : [health]).ToFrozenDictionary(h => h.Description.Port);

    public IEnumerable<IListenerHandler> Handlers => _byPort.Values;

    public IReadOnlyList<ITcpListenerHandler> TcpHandlers { get; } = tcpListeners.ToArray();

    /// <summary>Every listener the proxy opens, HTTP and TCP.</summary>
    public IEnumerable<ListenerDescription> Listeners => Handlers.Select(h => h.Description).Concat(TcpHandlers.Select(h => h.Description));

    public Task DispatchAsync(HttpContext context)
    {
        if (_byPort.TryGetValue(context.Connection.LocalPort, out var handler))
        {
            return handler.HandleAsync(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
