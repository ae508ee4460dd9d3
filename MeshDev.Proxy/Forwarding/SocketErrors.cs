using System.Net.Sockets;
using Grpc.Core;

namespace MeshDev.Proxy.Forwarding;

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

    /// <summary>The most telling cause of a failure, e.g. "connection refused" rather than gRPC's generic wrapper.</summary>
    public static string DescribeFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current is RpcException rpc ? rpc.Status.DebugException ?? rpc.InnerException : current.InnerException)
        {
            if (current is SocketException socket)
            {
                return Describe(socket);
            }
        }

        return exception switch
        {
            RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
            _ => exception.Message,
        };
    }
}
