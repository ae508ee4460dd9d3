using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Listeners;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// Istio's health port: GET /healthz/ready on every interface, so that a kubelet can probe the proxy at the pod's
/// IP while the admin listener, which shows config and certificates, stays on loopback. It answers readiness only.
/// </summary>
public sealed class HealthListener(ProxyOptions options, Readiness readiness) : IListenerHandler
{
    public const string ReadyPath = "/healthz/ready";

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
        if (context.Request.Path != ReadyPath)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        // The reasons stay on the admin listener: a probe needs the verdict, not the mesh's inner state.
        response.StatusCode = readiness.Reasons().Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }
}
