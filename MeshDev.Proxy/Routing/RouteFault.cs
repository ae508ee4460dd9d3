namespace MeshDev.Proxy.Routing;

/// <summary>A route's compiled fault: a delay, an abort, or both, each applied to a percentage of requests.</summary>
public sealed class RouteFault(TimeSpan delay, double delayPercentage, int abortHttpStatus, int? abortGrpcStatus, double abortPercentage)
{
    public TimeSpan Delay { get; } = delay;
    public double DelayPercentage { get; } = delayPercentage;

    /// <summary>Zero when the abort is a gRPC status or there is no abort.</summary>
    public int AbortHttpStatus { get; } = abortHttpStatus;

    public int? AbortGrpcStatus { get; } = abortGrpcStatus;
    public double AbortPercentage { get; } = abortPercentage;

    public bool HasDelay => Delay > TimeSpan.Zero && DelayPercentage > 0;
    public bool HasAbort => (AbortHttpStatus != 0 || AbortGrpcStatus is not null) && AbortPercentage > 0;

    public static bool Applies(double percentage) => percentage >= 100 || Random.Shared.NextDouble() * 100 < percentage;
}
