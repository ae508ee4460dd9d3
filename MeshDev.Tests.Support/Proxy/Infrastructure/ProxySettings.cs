using MeshDev.Core;
using Keys = MeshDev.Core.MeshEnvironment.Proxy;

namespace MeshDev.Tests.Proxy.Infrastructure;

/// <summary>The Mesh:* keys a test hands a proxy process, as the hosting integration would.</summary>
public sealed class ProxySettings
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private ProxySettings(string proxyId) => ProxyId = proxyId;

    public string ProxyId { get; }

    public int AdminPort { get; private set; }

    public IReadOnlyDictionary<string, string> Values => _values;

    public static ProxySettings Sidecar(string proxyId, string service, Uri controlPlane, Uri app, int? inboundPort = null, string protocol = "http")
    {
        var settings = new ProxySettings(proxyId)
            .Set(Keys.Mode, "sidecar")
            .Set(Keys.ProxyId, proxyId)
            .Set(Keys.Service, service)
            .Set(Keys.ControlPlaneAddress, controlPlane.ToString())
            .Set(Keys.InboundPort, (inboundPort ?? FreePort.Next()).ToString())
            .Set(Keys.ServicePort, "9080")
            .Set(Keys.InboundProtocol, protocol)
            .Set(Keys.AppAddress, app.ToString());
        return settings.WithAdmin();
    }

    public static ProxySettings Gateway(string proxyId, Uri controlPlane, int gatewayPort)
    {
        var settings = new ProxySettings(proxyId)
            .Set(Keys.Mode, "gateway")
            .Set(Keys.ProxyId, proxyId)
            .Set(Keys.Service, "ingressgateway")
            .Set(Keys.ControlPlaneAddress, controlPlane.ToString())
            .Set(Keys.GatewayPort, gatewayPort.ToString())
            .Set(Keys.GatewayBindAddress, "127.0.0.1");
        return settings.WithAdmin();
    }

    public int InboundPort => int.Parse(_values[Keys.InboundPort]);

    public ProxySettings WithOutbound(string service, int port, string protocol = "http") =>
        Set($"{Keys.Outbound}:{service}:Port", port.ToString()).Set($"{Keys.Outbound}:{service}:Protocol", protocol);

    public ProxySettings Set(string key, string value)
    {
        _values[key] = value;
        return this;
    }

    public ProxySettings Remove(string key)
    {
        _values.Remove(key);
        return this;
    }

    private ProxySettings WithAdmin()
    {
        AdminPort = FreePort.Next();
        // Probe quickly so that health flips show up fast in tests.
        return Set(Keys.AdminPort, AdminPort.ToString()).Set("Mesh:Proxy:HealthProbeInterval", "0.2");
    }

    public IEnumerable<KeyValuePair<string, string>> EnvironmentVariables() =>
        _values.Select(kv => KeyValuePair.Create(MeshEnvironment.ToEnvironmentVariable(kv.Key), kv.Value));
}
