using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Listeners;

/// <summary>What serves the requests that arrive on one listener.</summary>
public interface IListenerHandler
{
    ListenerDescription Description { get; }

    Task HandleAsync(HttpContext context);
}

public enum ListenerDirection
{
    Inbound,
    Outbound,
    Gateway,
    Admin,
}

/// <param name="Service">The service the listener stands for (inbound), sends to (outbound), or the gateway's name.</param>
public sealed record ListenerDescription(
    string Name,
    string BindAddress,
    int Port,
    ServiceProtocol Protocol,
    ListenerDirection Direction,
    string Service)
{
    public string Address => BindAddress.Contains(':') ? $"[{BindAddress}]:{Port}" : $"{BindAddress}:{Port}";
}
