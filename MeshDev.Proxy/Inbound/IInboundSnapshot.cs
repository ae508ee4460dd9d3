using MeshDev.Proxy.Identity;

namespace MeshDev.Proxy.Inbound;

/// <summary>What the inbound listener reads from the snapshot in force: the mTLS mode and trust bundle, and its policies.</summary>
public interface IInboundSnapshot : ISnapshotSecurity
{
    InboundPolicy InboundPolicy { get; }
}
