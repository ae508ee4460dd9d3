namespace MeshDev.Proxy.Discovery;

/// <summary>What the proxy knows about its link to the control plane, for /ready to explain itself.</summary>
public sealed class ControlPlaneConnectionState
{
    private volatile Status _status = new(false, 0, "not connected yet", null);

    public Status Current => _status;

    public void Connected() => _status = new Status(true, 0, null, null);

    public void Failed(int consecutiveFailures, string reason, DateTimeOffset nextRetryAt) =>
        _status = new Status(false, consecutiveFailures, reason, nextRetryAt);

    /// <param name="ConsecutiveFailures">Failed attempts since the last successful connection.</param>
    public sealed record Status(bool IsConnected, int ConsecutiveFailures, string? LastFailure, DateTimeOffset? NextRetryAt);
}
