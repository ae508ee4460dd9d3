using MeshDev.Core.Identity;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Proxy.Inbound.Tls;

/// <summary>
/// Envoy's x-forwarded-client-cert as Istio's sidecars set it (SANITIZE_SET): on a request that arrived over mTLS the
/// app gets "By=&lt;this workload&gt;;Hash=&lt;sha256 of the peer's certificate&gt;;Subject=\"…\";URI=&lt;peer's SPIFFE ID&gt;";
/// whatever a caller sent under that name is dropped, so a plaintext or outside caller cannot claim an identity.
/// Everything else is forwarded as it came.
/// </summary>
public sealed class ForwardedClientCertificateTransformer(SpiffeId? local) : HttpTransformer
{
    public const string HeaderName = "x-forwarded-client-cert";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Remove(HeaderName);
        if (local is not null && httpContext.Features.Get<IMeshPeerFeature>() is { } peer)
        {
            proxyRequest.Headers.TryAddWithoutValidation(HeaderName, peer.ForwardedClientCertificate(local));
        }
    }
}
