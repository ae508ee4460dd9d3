using System.Collections.Concurrent;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>The live streams, at most one per proxy id: a newer stream replaces (and closes) an older one.</summary>
public sealed class ProxyConnectionHub
{
    private readonly ConcurrentDictionary<string, ProxyConnection> _connections = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ProxyConnection> Connections => [.. _connections.Values];

    public void Add(ProxyConnection connection)
    {
        ProxyConnection? replaced = null;
        _connections.AddOrUpdate(connection.ProxyId, connection, (_, existing) =>
        {
            replaced = existing;
            return connection;
        });

        if (replaced is not null && !ReferenceEquals(replaced, connection))
        {
            replaced.Replace();
        }
    }

    public void Remove(ProxyConnection connection) =>
        _connections.TryRemove(new KeyValuePair<string, ProxyConnection>(connection.ProxyId, connection));
}
