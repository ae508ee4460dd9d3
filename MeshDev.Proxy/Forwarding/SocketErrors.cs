using System.Net.Sockets;

namespace MeshDev.Proxy;

/// <summary>Short, lower-case descriptions of socket failures for logs and readiness reasons.</summary>
public static class SocketErrors
{
    public static string Describe(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.ConnectionReset => "connection reset",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
        _ => socket.Message,
    };

    /// <summary>Finds a socket failure anywhere in the chain of inner exceptions.</summary>
    public static string? Find(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException socket)
            {
                return Describe(socket);
            }
        }

        return null;
    }
}
