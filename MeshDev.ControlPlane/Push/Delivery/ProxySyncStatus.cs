namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>Where one proxy stands with its config: what was sent, what it applied, what it last refused.</summary>
public sealed record ProxySyncStatus
{
    public static readonly ProxySyncStatus Empty = new();

    public string? SentVersion { get; init; }
    public string? SentNonce { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public string? AckedVersion { get; init; }
    public DateTimeOffset? AckedAt { get; init; }
    public SnapshotRejection? LastNack { get; init; }

    /// <summary>When a snapshot was last sent to this proxy; unlike <see cref="SentAt"/>, kept across reconnects.</summary>
    public DateTimeOffset? LastPushAt { get; init; }

    /// <summary>
    /// The config version the proxy's latest compiled snapshot reflects, whether or not it differed from the one the
    /// proxy already had: with <see cref="InSync"/>, it tells when an apply has reached this proxy.
    /// </summary>
    public long? ConfigVersion { get; init; }

    public bool InSync => SentVersion is not null && SentVersion == AckedVersion;
}

public sealed record SnapshotRejection(string Version, string Reason, DateTimeOffset At);
