namespace MeshDev.Core.Config.Networking;

/// <summary>Checks a Gateway's servers: the port and protocol the gateway serves, its hosts, and what it does not carry out.</summary>
internal sealed class GatewayValidator(ConfigReport report)
{
    private void Error(ConfigResource resource, string field, string message) => report.Error(resource, field, message);

    private void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        report.Unsupported(resource, field, what, instead);

    public void Check(GatewayResource gateway)
    {
        var spec = gateway.Spec;
        if (spec.Servers.Count == 0)
        {
            Error(gateway, "spec.servers", "servers is empty; give at least one server with a port and hosts.");
        }

        for (var i = 0; i < spec.Servers.Count; i++)
        {
            var server = spec.Servers[i];
            var path = $"spec.servers[{i}]";
            if (server.Port?.Number is not { } number)
            {
                Error(gateway, $"{path}.port.number", "port.number is missing; give the port the gateway listens on, e.g. 80.");
            }
            else if (number is < 1 or > 65535)
            {
                Error(gateway, $"{path}.port.number", $"port {number} is out of range; give a port from 1 to 65535.");
            }

            if (server.Port?.Protocol is { } protocol && !(protocol.ToUpperInvariant() is "HTTP" or "HTTP2" or "GRPC"))
            {
                Unsupported(gateway, $"{path}.port.protocol", $"protocol '{protocol}'", "MeshDev's gateway serves HTTP, HTTP2 and GRPC");
            }

            if (server.Port?.TargetPort is not null)
            {
                Unsupported(gateway, $"{path}.port.targetPort", "targetPort");
            }

            if (server.Hosts.Count == 0)
            {
                Error(gateway, $"{path}.hosts", "hosts is empty; give the hosts this server accepts, e.g. \"*\".");
            }

            if (server.Tls is not null)
            {
                Unsupported(gateway, $"{path}.tls", "TLS on the gateway");
            }

            if (server.Bind is not null)
            {
                Unsupported(gateway, $"{path}.bind", "bind");
            }

            if (server.DefaultEndpoint is not null)
            {
                Unsupported(gateway, $"{path}.defaultEndpoint", "defaultEndpoint");
            }
        }
    }
}
