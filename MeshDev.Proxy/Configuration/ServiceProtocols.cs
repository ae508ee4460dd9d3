using MeshDev.Core.Discovery;

namespace MeshDev.Proxy.Configuration;

/// <summary>The names a service protocol has in configuration ("http", "http2", "grpc", "tcp") and what each means on the wire.</summary>
public static class ServiceProtocols
{
    public static bool TryParse(string? value, out ServiceProtocol protocol)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "http":
                protocol = ServiceProtocol.Http;
                return true;
            case "http2":
                protocol = ServiceProtocol.Http2;
                return true;
            case "grpc":
                protocol = ServiceProtocol.Grpc;
                return true;
            case "tcp":
                protocol = ServiceProtocol.Tcp;
                return true;
            default:
                protocol = ServiceProtocol.Unspecified;
                return false;
        }
    }

    /// <summary>gRPC and HTTP/2 ports speak HTTP/2 with prior knowledge: cleartext Kestrel cannot detect h2c.</summary>
    public static bool UsesHttp2(ServiceProtocol protocol) => protocol is ServiceProtocol.Http2 or ServiceProtocol.Grpc;

    /// <summary>What "expected ..." says when a configured protocol is none of these.</summary>
    public const string Expected = "http, http2, grpc or tcp";

    /// <summary>A TCP port carries opaque bytes: its listeners pipe connections instead of serving HTTP.</summary>
    public static bool IsTcp(ServiceProtocol protocol) => protocol == ServiceProtocol.Tcp;

    public static string ToConfigValue(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Http2 => "http2",
        ServiceProtocol.Grpc => "grpc",
        ServiceProtocol.Tcp => "tcp",
        _ => "http",
    };
}
