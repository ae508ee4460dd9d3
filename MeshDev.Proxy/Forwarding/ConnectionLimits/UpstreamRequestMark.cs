namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>
/// Which request the current asynchronous flow is sending. SocketsHttpHandler reads and writes a pooled connection in
/// the flow of the request that uses it, so a connection stream can tell from this mark when a new request begins on
/// it, without parsing what the request says.
/// </summary>
internal static class UpstreamRequestMark
{
    private static readonly AsyncLocal<HttpRequestMessage?> CurrentRequest = new();

    public static HttpRequestMessage? Current => CurrentRequest.Value;

    /// <summary>Marks the flow of each request sent through the handler it wraps.</summary>
    public sealed class Handler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Set inside this async method, so the mark ends with the send and never leaks into the caller's flow.
            CurrentRequest.Value = request;
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
