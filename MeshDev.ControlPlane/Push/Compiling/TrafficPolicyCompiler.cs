using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>
/// Turns a DestinationRule trafficPolicy (the rule's or a subset's) into the snapshot's policy messages. Each part
/// is compiled only when the policy sets it: an absent part on a subset means "the cluster's", so a subset's
/// trafficPolicy replaces the cluster's part by part (loadBalancer, connectionPool, outlierDetection), as in Istio.
/// </summary>
public static class TrafficPolicyCompiler
{
    // Istio's defaults for an outlierDetection block that leaves these fields out (Envoy's, which Istio keeps).
    public const uint DefaultConsecutive5xxErrors = 5;
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultBaseEjectionTime = TimeSpan.FromSeconds(30);
    public const uint DefaultMaxEjectionPercent = 10;

    public static LoadBalancerPolicy LoadBalancer(TrafficPolicySpec? policy) => policy?.LoadBalancer?.Simple switch
    {
        "LEAST_REQUEST" or "LEAST_CONN" => LoadBalancerPolicy.LeastRequest,
        "ROUND_ROBIN" => LoadBalancerPolicy.RoundRobin,
        "RANDOM" => LoadBalancerPolicy.Random,
        "PASSTHROUGH" => LoadBalancerPolicy.Passthrough,
        _ => LoadBalancerPolicy.Unspecified,
    };

    public static ConnectionPool? ConnectionPool(TrafficPolicySpec? policy)
    {
        if (policy?.ConnectionPool is not { } spec)
        {
            return null;
        }

        // 0 is "not set" on the wire, so Envoy's defaults apply to whatever the rule leaves out.
        return new ConnectionPool
        {
            MaxConnections = Count(spec.Tcp?.MaxConnections),
            ConnectTimeoutMs = Milliseconds(spec.Tcp?.ConnectTimeout),
            Http1MaxPendingRequests = Count(spec.Http?.Http1MaxPendingRequests),
            Http2MaxRequests = Count(spec.Http?.Http2MaxRequests),
            MaxRequestsPerConnection = Count(spec.Http?.MaxRequestsPerConnection),
            MaxRetries = Count(spec.Http?.MaxRetries),
            IdleTimeoutMs = Milliseconds(spec.Http?.IdleTimeout),
        };
    }

    public static OutlierDetection? OutlierDetection(TrafficPolicySpec? policy)
    {
        if (policy?.OutlierDetection is not { } spec)
        {
            return null;
        }

        return new OutlierDetection
        {
            Consecutive5XxErrors = spec.Consecutive5xxErrors is { } errors ? (uint)errors : DefaultConsecutive5xxErrors,
            // Envoy counts gateway errors by default but does not eject on them; Istio turns that on only when set.
            ConsecutiveGatewayErrors = Count(spec.ConsecutiveGatewayErrors),
            IntervalMs = Milliseconds(spec.Interval ?? DefaultInterval),
            BaseEjectionTimeMs = Milliseconds(spec.BaseEjectionTime ?? DefaultBaseEjectionTime),
            MaxEjectionPercent = spec.MaxEjectionPercent is { } max ? (uint)max : DefaultMaxEjectionPercent,
            MinHealthPercent = Count(spec.MinHealthPercent),
        };
    }

    public static ConsistentHash? ConsistentHash(TrafficPolicySpec? policy)
    {
        if (policy?.LoadBalancer?.ConsistentHash is not { } spec)
        {
            return null;
        }

        var hash = new ConsistentHash { MinimumRingSize = (ulong)(spec.MinimumRingSize ?? 0) };
        if (spec.HttpHeaderName is { } header)
        {
            hash.HttpHeaderName = header;
        }
        else if (spec.HttpCookie is { Name: { } cookie } httpCookie)
        {
            hash.HttpCookieName = cookie;
            hash.HttpCookiePath = httpCookie.Path ?? "";
            // With a ttl (0s included: a session cookie) the proxy issues the cookie to a client that has none.
            if (httpCookie.Ttl is { } ttl)
            {
                hash.HttpCookieTtlSet = true;
                hash.HttpCookieTtlMs = Milliseconds(ttl);
            }
        }
        else if (spec.UseSourceIp is true)
        {
            hash.UseSourceIp = true;
        }
        else if (spec.HttpQueryParameterName is { } parameter)
        {
            hash.HttpQueryParameterName = parameter;
        }

        return hash;
    }

    private static uint Count(long? value) => (uint)(value ?? 0);

    private static long Milliseconds(TimeSpan? value) => (long)(value?.TotalMilliseconds ?? 0);
}
