using System.Net.Sockets;

namespace MeshDev.ControlPlane.Registry;

/// <summary>
/// Tells a proxy whose process is gone from one whose stream merely broke, by connecting to the admin listener it
/// announced: proxies run beside the control plane (loopback, or a pod's address), so a refused connection means no
/// process listens there any more, while an accepted one means the proxy lives and will reconnect.
/// </summary>
public interface IProxyLiveness
{
    /// <returns>True only when the proxy is known to be gone; false when it answers or the answer is unclear.</returns>
    Task<bool> IsGoneAsync(string adminUrl, CancellationToken cancellationToken);
}

public sealed class AdminListenerLiveness : IProxyLiveness
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    public async Task<bool> IsGoneAsync(string adminUrl, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(adminUrl, UriKind.Absolute, out var admin) || admin.Port <= 0)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(admin.Host, admin.Port, timeout.Token);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // A timeout or another error says nothing certain; the grace period decides.
            return false;
        }
    }
}
