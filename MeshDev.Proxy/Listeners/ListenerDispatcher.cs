using System.Collections.Frozen;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// The whole request pipeline: every listener has its own port, so the local port of the connection says which
/// listener a request arrived on and therefore what serves it.
/// </summary>
public sealed class ListenerDispatcher(IEnumerable<IListenerHandler> trafficListeners, Admin.AdminListener admin)
{
    private readonly FrozenDictionary<int, IListenerHandler> _byPort =
        trafficListeners.Append(admin).ToFrozenDictionary(h => h.Description.Port);

    public IEnumerable<IListenerHandler> Handlers => _byPort.Values;

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
