using System.Globalization;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// Holds the workload certificate in force, swapped atomically on renewal (handshakes already under way keep the
/// one they read), and what the last attempt to get one said, for /ready and /certs.
/// </summary>
public sealed class WorkloadCertificateStore(WorkloadIdentityOptions identity, TimeProvider time) : IWorkloadCertificateSource
{
    private WorkloadCertificate? _current;
    private volatile IssuanceStatus _status = new(0, null, null);

    public WorkloadIdentityOptions Identity { get; } = identity;

    public WorkloadCertificate? Current => Volatile.Read(ref _current);

    public IssuanceStatus Status => _status;

    /// <summary>Raised after a new certificate is in force.</summary>
    public event Action<WorkloadCertificate>? Rotated;

    public void Swap(WorkloadCertificate certificate)
    {
        Volatile.Write(ref _current, certificate);
        _status = new IssuanceStatus(0, null, null);
        Rotated?.Invoke(certificate);
    }

    public void Failed(string reason, DateTimeOffset nextAttemptAt) =>
        _status = new IssuanceStatus(_status.ConsecutiveFailures + 1, reason, nextAttemptAt);

    /// <summary>Why the proxy cannot take part in mTLS right now; null when it can.</summary>
    public string? NotReadyReason()
    {
        var now = time.GetUtcNow();
        var status = _status;
        var lastError = status.LastError is { } error
            ? string.Create(CultureInfo.InvariantCulture, $" (attempt {status.ConsecutiveFailures} failed: {error})")
            : "";
        return Current switch
        {
            null => $"no workload certificate for {Identity.Id} yet{(lastError.Length > 0 ? lastError : ": asking the CA")}",
            { } certificate when !certificate.IsValidAt(now) =>
                $"workload certificate {certificate.SerialNumber} for {Identity.Id} is not valid now (valid {certificate.NotBefore:O} to {certificate.NotAfter:O}){lastError}",
            _ => null,
        };
    }
}

/// <param name="ConsecutiveFailures">Failed attempts since the last certificate was received.</param>
public sealed record IssuanceStatus(int ConsecutiveFailures, string? LastError, DateTimeOffset? NextAttemptAt);
