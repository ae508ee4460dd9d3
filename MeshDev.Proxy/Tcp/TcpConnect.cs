using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshDev.Proxy.Tcp;

/// <summary>Opening a plain TCP connection with a connect timeout, for the hop to a peer and the hop to the app.</summary>
public static class TcpConnect
{
    /// <exception cref="TimeoutException">The connect did not complete within <paramref name="timeout"/>.</exception>
    /// <exception cref="SocketException">Refused or unreachable.</exception>
    public static async Task<SocketDuplex> ConnectAsync(EndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = endpoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Relayed bytes are already batched by the sender; holding them back for Nagle only adds latency.
            socket.NoDelay = true;
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(endpoint, connectTimeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connect to {endpoint} timed out after {timeout.TotalMilliseconds:0} ms");
            }

            return new SocketDuplex(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>host:port or [ipv6]:port, as snapshot endpoints carry them.</summary>
    public static EndPoint ParseAddress(string address)
    {
        if (IPEndPoint.TryParse(address, out var ip) && ip.Port != 0)
        {
            return ip;
        }

        var colon = address.LastIndexOf(':');
        return new DnsEndPoint(address[..colon], int.Parse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
    }

    /// <summary>The app's address from its URL (tcp://host:port or http://host:port).</summary>
    public static EndPoint FromUri(Uri uri) =>
        IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, uri.Port) : new DnsEndPoint(uri.Host, uri.Port);
}
