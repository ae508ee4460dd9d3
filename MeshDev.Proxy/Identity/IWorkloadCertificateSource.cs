using System.Security.Cryptography.X509Certificates;

namespace MeshDev.Proxy.Identity;

/// <summary>The workload certificate in force, read once per TLS handshake.</summary>
public interface IWorkloadCertificateSource
{
    /// <summary>Null until the CA has signed the first one.</summary>
    WorkloadCertificate? Current { get; }
}

public static class MeshTrust
{
    /// <summary>
    /// The roots peers must chain to: the snapshot's trust bundle when it carries one (the control plane can announce
    /// a new root before it signs with it), else the bundle that came with the proxy's own certificate.
    /// </summary>
    public static X509Certificate2Collection? Anchors(ISnapshotSecurity snapshot, WorkloadCertificate? certificate) =>
        snapshot.Security.TrustBundle ?? certificate?.CaTrustBundle;
}
