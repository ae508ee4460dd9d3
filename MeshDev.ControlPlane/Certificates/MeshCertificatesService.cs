using Grpc.Core;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>
/// MeshCertificates.SignCertificate on the control plane's gRPC listener. The bootstrap token comes as the call's
/// <c>authorization: Bearer &lt;token&gt;</c> metadata; refusals map to Unauthenticated, PermissionDenied or
/// InvalidArgument with the CA's message.
/// </summary>
public sealed class MeshCertificatesService(CertificateAuthority authority) : MeshCertificates.MeshCertificatesBase
{
    private const string BearerPrefix = "Bearer ";

    public override Task<SignCertificateResponse> SignCertificate(SignCertificateRequest request, ServerCallContext context)
    {
        var result = authority.Sign(BearerToken(context.RequestHeaders), request.CsrPem, request.ProxyId, request.RequestedLifetimeSeconds);
        switch (result)
        {
            case SignResult.Signed signed:
                var response = new SignCertificateResponse();
                response.CertificateChainPem.AddRange(signed.ChainPem);
                response.TrustBundlePem.AddRange(signed.TrustBundlePem);
                signed.Certificate.Dispose();
                return Task.FromResult(response);
            case SignResult.Refused refused:
                var code = refused.Reason switch
                {
                    SignRefusal.Unauthenticated => StatusCode.Unauthenticated,
                    SignRefusal.PermissionDenied => StatusCode.PermissionDenied,
                    _ => StatusCode.InvalidArgument,
                };
                throw new RpcException(new Status(code, refused.Message));
            default:
                throw new InvalidOperationException($"Unexpected sign result {result.GetType().Name}.");
        }
    }

    private static string? BearerToken(Metadata headers)
    {
        var value = headers.GetValue("authorization");
        return value is not null && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? value[BearerPrefix.Length..].Trim()
            : null;
    }
}
