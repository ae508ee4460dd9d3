namespace MeshDev.Proxy.Configuration;

/// <summary>Configuration the proxy cannot start with; the message names the key and what is wrong with it.</summary>
public sealed class ProxyConfigurationException(string message) : Exception(message);
