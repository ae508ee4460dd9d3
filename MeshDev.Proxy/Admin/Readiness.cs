using System.Globalization;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Inbound;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// Ready means able to serve as configured: a snapshot has been applied and, for a sidecar, the app's last health
/// probe passed. Otherwise each reason says what is missing and why, in words a person can act on.
/// </summary>
public sealed class Readiness(
    ProxyOptions options,
    SnapshotStore snapshots,
    ControlPlaneConnectionState connection,
    TimeProvider time,
    AppHealthMonitor? appHealth = null,
    Identity.WorkloadCertificateStore? certificates = null)
{
    /// <param name="includeApp">
    /// False asks whether the proxy itself has started (snapshot and certificate), whatever its app's health: a pod
    /// starts its app only after its native sidecar has started, so the sidecar's startup cannot wait for the app.
    /// </param>
    public IReadOnlyList<string> Reasons(bool includeApp = true)
    {
        var reasons = new List<string>();
        if (snapshots.Current.Version is null)
        {
            reasons.Add("no configuration snapshot yet: " + WhyNoSnapshot());
        }

        if (certificates?.NotReadyReason() is { } certificateReason)
        {
            reasons.Add(certificateReason);
        }

        if (includeApp && appHealth is not null && appHealth.Current is { Healthy: false } health)
        {
            reasons.Add($"app {appHealth.Target} not healthy: {health.Detail}");
        }

        return reasons;
    }

    private string WhyNoSnapshot()
    {
        var status = connection.Current;
        var address = options.ControlPlaneAddress.GetLeftPart(UriPartial.Authority);
        if (snapshots.LastRejected is { } rejected)
        {
            return $"snapshot {rejected.Version} from control plane {address} was rejected: {rejected.Reason}";
        }

        if (status.IsConnected)
        {
            return $"connected to control plane {address}, waiting for the first snapshot";
        }

        if (status.ConsecutiveFailures == 0)
        {
            return $"connecting to control plane {address}";
        }

        var retryIn = status.NextRetryAt is { } next ? Math.Max(0, (next - time.GetUtcNow()).TotalSeconds) : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"control plane {address} unreachable ({status.LastFailure}), attempt {status.ConsecutiveFailures}, next retry in {retryIn:0.0} s");
    }
}
