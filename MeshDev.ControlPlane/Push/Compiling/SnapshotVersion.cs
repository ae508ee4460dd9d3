using System.Security.Cryptography;
using Google.Protobuf;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// A snapshot's version is a hash of its content, so the same mesh yields the same version after a control
/// plane restart, and a proxy that reconnects with what it already applied is seen to be in sync.
/// </summary>
public static class SnapshotVersion
{
    private const int Length = 12;

    /// <summary>
    /// Hashes everything but the version itself. Callers must build the snapshot in a canonical order (clusters,
    /// endpoints and labels sorted): protobuf serialization keeps insertion order, also for maps.
    /// </summary>
    public static string Compute(ProxySnapshot snapshot)
    {
        var content = snapshot.Clone();
        content.Version = "";
        var hash = SHA256.HashData(content.ToByteArray());
        return Convert.ToHexStringLower(hash)[..Length];
    }
}
