namespace MeshDev.Proxy.Identity;

/// <summary>A snapshot's connection-security part, which every handshake on either side of the proxy reads.</summary>
public interface ISnapshotSecurity
{
    TransportSecurity Security { get; }
}
