using MeshDev.Core.Identity;

namespace MeshDev.Proxy.Configuration;

/// <summary>
/// Who the proxy is in the mesh and how it proves it to the certificate authority. Present only when the proxy was
/// given a bootstrap token: without one it cannot get a certificate and speaks plaintext, as before mTLS existed.
/// </summary>
/// <param name="Id">spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service account&gt;.</param>
/// <param name="RequestedLifetime">Asked of the CA; null leaves the lifetime to the CA's own setting.</param>
public sealed record WorkloadIdentityOptions(SpiffeId Id, BootstrapCredential Token, TimeSpan? RequestedLifetime);

/// <summary>
/// The bootstrap credential, opaque to the proxy. Its text never appears in a log line, an exception message or a
/// formatted record: <see cref="ToString"/> says what it is, not what it holds.
/// </summary>
public sealed class BootstrapCredential(string value)
{
    /// <summary>Read only where the token goes on the wire: the CA call's authorization metadata.</summary>
    internal string Value { get; } = value;

    public override string ToString() => "(bootstrap token)";
}
