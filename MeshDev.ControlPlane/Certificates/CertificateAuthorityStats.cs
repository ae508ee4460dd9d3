namespace MeshDev.ControlPlane.Certificates;

/// <summary>What the CA has done since the control plane started: certificates signed and requests refused.</summary>
public sealed class CertificateAuthorityStats
{
    private long _signed;
    private long _refusedUnauthenticated;
    private long _refusedPermissionDenied;
    private long _refusedInvalid;

    public long Signed => Interlocked.Read(ref _signed);

    /// <summary>Every refusal, whatever the reason.</summary>
    public long Refused => RefusedUnauthenticated + RefusedPermissionDenied + RefusedInvalid;

    /// <summary>No token, or a token this mesh's bootstrap key did not sign.</summary>
    public long RefusedUnauthenticated => Interlocked.Read(ref _refusedUnauthenticated);

    /// <summary>A valid token, but a CSR for another identity than the one it proves.</summary>
    public long RefusedPermissionDenied => Interlocked.Read(ref _refusedPermissionDenied);

    /// <summary>A request the CA cannot sign: no proxy id, a CSR that does not parse or verify, a key it does not accept.</summary>
    public long RefusedInvalid => Interlocked.Read(ref _refusedInvalid);

    internal void RecordSigned() => Interlocked.Increment(ref _signed);

    internal void RecordRefused(SignRefusal refusal)
    {
        switch (refusal)
        {
            case SignRefusal.Unauthenticated:
                Interlocked.Increment(ref _refusedUnauthenticated);
                break;
            case SignRefusal.PermissionDenied:
                Interlocked.Increment(ref _refusedPermissionDenied);
                break;
            default:
                Interlocked.Increment(ref _refusedInvalid);
                break;
        }
    }
}
