using System.Collections.Frozen;
using System.Globalization;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Routing;

/// <summary>Envoy's retry_on conditions, as flags so that the hot path tests them with one AND.</summary>
[Flags]
public enum RetryOn
{
    None = 0,
    ServerError = 1 << 0,          // 5xx
    GatewayError = 1 << 1,         // gateway-error
    ConnectFailure = 1 << 2,       // connect-failure
    RefusedStream = 1 << 3,        // refused-stream
    Reset = 1 << 4,                // reset
    Retriable4xx = 1 << 5,         // retriable-4xx
    RetriableStatusCodes = 1 << 6, // retriable-status-codes
    GrpcCancelled = 1 << 7,
    GrpcDeadlineExceeded = 1 << 8,
    GrpcInternal = 1 << 9,
    GrpcResourceExhausted = 1 << 10,
    GrpcUnavailable = 1 << 11,
}

/// <summary>What went wrong with one try, in the terms retry_on speaks.</summary>
public enum TryFailure
{
    ConnectFailure,
    RefusedStream,
    Reset,
    PerTryTimeout,
}

/// <summary>A route's compiled retry policy.</summary>
public sealed class RetryPolicy
{
    /// <summary>
    /// Istio's policy for a route that sets none (its mesh config's defaultHttpRetryPolicy): two retries on
    /// connect-failure, refused-stream, unavailable, cancelled and retriable-status-codes 503.
    /// </summary>
    public static readonly RetryPolicy Default = new(
        2, TimeSpan.Zero,
        RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.GrpcUnavailable | RetryOn.GrpcCancelled | RetryOn.RetriableStatusCodes,
        FrozenSet.ToFrozenSet([503]));

    /// <summary>Condition names Envoy knows but this proxy never meets (rate limiting, headers); accepted, never true.</summary>
    private static readonly FrozenSet<string> IgnoredConditions = FrozenSet.ToFrozenSet(
        ["envoy-ratelimited", "retriable-headers", "reset-before-request", "http3-post-connect-failure"], StringComparer.Ordinal);

    public RetryPolicy(int retries, TimeSpan perTryTimeout, RetryOn conditions, FrozenSet<int> statusCodes)
    {
        Retries = retries;
        PerTryTimeout = perTryTimeout;
        Conditions = conditions;
        StatusCodes = statusCodes;
    }

    /// <summary>Tries after the first one.</summary>
    public int Retries { get; }

    /// <summary>Zero: none.</summary>
    public TimeSpan PerTryTimeout { get; }

    public RetryOn Conditions { get; }

    public FrozenSet<int> StatusCodes { get; }

    public bool ReadsGrpcStatus =>
        (Conditions & (RetryOn.GrpcCancelled | RetryOn.GrpcDeadlineExceeded | RetryOn.GrpcInternal | RetryOn.GrpcResourceExhausted | RetryOn.GrpcUnavailable)) != 0;

    /// <summary>True when some condition can only be seen on a response, which must then be held back until judged.</summary>
    public bool RetriesOnResponses =>
        (Conditions & ~(RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.Reset)) != RetryOn.None || StatusCodes.Count > 0;

    /// <returns>Null when every condition is understood; otherwise the one that is not.</returns>
    public static RetryPolicy Parse(Core.Discovery.RetryPolicy policy, out string? unknownCondition)
    {
        unknownCondition = null;
        var conditions = RetryOn.None;
        var codes = new HashSet<int>();
        foreach (var raw in policy.RetryOn)
        {
            var condition = raw.Trim();
            RetryOn flag = condition switch
            {
                "5xx" => RetryOn.ServerError,
                "gateway-error" => RetryOn.GatewayError,
                "connect-failure" => RetryOn.ConnectFailure,
                "refused-stream" => RetryOn.RefusedStream,
                "reset" => RetryOn.Reset,
                "retriable-4xx" => RetryOn.Retriable4xx,
                "retriable-status-codes" => RetryOn.RetriableStatusCodes,
                "cancelled" => RetryOn.GrpcCancelled,
                "deadline-exceeded" => RetryOn.GrpcDeadlineExceeded,
                "internal" => RetryOn.GrpcInternal,
                "resource-exhausted" => RetryOn.GrpcResourceExhausted,
                "unavailable" => RetryOn.GrpcUnavailable,
                _ => RetryOn.None,
            };

            if (flag != RetryOn.None)
            {
                conditions |= flag;
            }
            else if (int.TryParse(condition, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
            {
                // Istio turns numbers in retryOn into retriable status codes.
                codes.Add(code);
                conditions |= RetryOn.RetriableStatusCodes;
            }
            else if (!IgnoredConditions.Contains(condition))
            {
                unknownCondition = raw;
            }
        }

        return new RetryPolicy((int)policy.Attempts, TimeSpan.FromMilliseconds(policy.PerTryTimeoutMs), conditions, codes.ToFrozenSet());
    }

    /// <summary>Whether an upstream response (status and, for gRPC, the grpc-status header) asks for another try.</summary>
    public bool IsRetriable(int statusCode, string? grpcStatus)
    {
        if ((Conditions & RetryOn.ServerError) != 0 && statusCode >= 500)
        {
            return true;
        }

        if ((Conditions & RetryOn.GatewayError) != 0 && statusCode is 502 or 503 or 504)
        {
            return true;
        }

        if ((Conditions & RetryOn.Retriable4xx) != 0 && statusCode == 409)
        {
            return true;
        }

        if ((Conditions & RetryOn.RetriableStatusCodes) != 0 && StatusCodes.Contains(statusCode))
        {
            return true;
        }

        if ((Conditions & (RetryOn.GrpcCancelled | RetryOn.GrpcDeadlineExceeded | RetryOn.GrpcInternal | RetryOn.GrpcResourceExhausted | RetryOn.GrpcUnavailable)) != 0
            && int.TryParse(grpcStatus, NumberStyles.None, CultureInfo.InvariantCulture, out var grpc))
        {
            return grpc switch
            {
                GrpcStatusCodes.Cancelled => (Conditions & RetryOn.GrpcCancelled) != 0,
                GrpcStatusCodes.DeadlineExceeded => (Conditions & RetryOn.GrpcDeadlineExceeded) != 0,
                GrpcStatusCodes.Internal => (Conditions & RetryOn.GrpcInternal) != 0,
                GrpcStatusCodes.ResourceExhausted => (Conditions & RetryOn.GrpcResourceExhausted) != 0,
                GrpcStatusCodes.Unavailable => (Conditions & RetryOn.GrpcUnavailable) != 0,
                _ => false,
            };
        }

        return false;
    }

    /// <summary>Whether a try that got no response may be retried. 5xx and gateway-error include them all, as in Envoy.</summary>
    public bool IsRetriable(TryFailure failure)
    {
        if ((Conditions & (RetryOn.ServerError | RetryOn.GatewayError)) != 0)
        {
            return true;
        }

        return failure switch
        {
            TryFailure.ConnectFailure => (Conditions & RetryOn.ConnectFailure) != 0,
            TryFailure.RefusedStream => (Conditions & (RetryOn.RefusedStream | RetryOn.Reset)) != 0,
            TryFailure.Reset => (Conditions & RetryOn.Reset) != 0,
            _ => false,
        };
    }
}
