using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// Istio's health port, on every interface, so that a kubelet can probe the proxy at the pod's IP while the admin
/// listener, which shows config and certificates, stays on loopback. GET /healthz/ready is the proxy's readiness
/// (its app's health included); GET /healthz/started is the proxy's own start (a snapshot applied and, with mTLS,
/// its certificate), for the startup probe of a native sidecar, which the kubelet awaits before starting the app.
/// </summary>
public sealed class HealthListener(ProxyOptions options, Readiness readiness) : IListenerHandler
{
    public const string ReadyPath = "/healthz/ready";
    public const string StartedPath = "/healthz/started";

    public ListenerDescription Description { get; } =
        new("health", "0.0.0.0", options.HealthPort ?? throw new InvalidOperationException("The proxy has no health port."),
            ServiceProtocol.Http, ListenerDirection.Admin, options.Service);

    public Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }
        bool? includeApp = context.Request.Path.Value switch
        {
            ReadyPath => true,
            StartedPath => false,
            _ => null,
        };
        if (includeApp is not { } app)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        // The reasons stay on the admin listener: a probe needs the verdict, not the mesh's inner state.
        response.StatusCode = readiness.Reasons(app).Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }
}
