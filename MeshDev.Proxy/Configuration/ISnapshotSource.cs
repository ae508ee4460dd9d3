namespace MeshDev.Proxy.Configuration;

/// <summary>
/// The snapshot in force, read once per request or handshake. Discovery's snapshot store is the one source; a folder
/// that reads it names the view it needs (Outbound's <c>IOutboundSnapshot</c>, Inbound's <c>IInboundSnapshot</c>), so
/// it does not depend on Discovery, which builds the snapshot out of every folder's parts.
/// </summary>
public interface ISnapshotSource<out TSnapshot>
{
    TSnapshot Current { get; }
}
