namespace MeshDev.Proxy.Configuration;

/// <summary>
/// A snapshot that cannot be applied; the message is the NACK reason. Every part of the proxy that compiles its share
/// of a snapshot (routes, clusters, inbound policy, transport security) throws it, so it sits below all of them.
/// </summary>
public sealed class InvalidSnapshotException(string reason) : Exception(reason);
