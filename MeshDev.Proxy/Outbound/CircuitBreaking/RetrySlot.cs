namespace MeshDev.Proxy.Outbound.CircuitBreaking;

/// <summary>The one retry a request may have in flight against its cluster's max_retries at any time.</summary>
public sealed class RetrySlot(CircuitBreaker breaker)
{
    private bool _held;

    public bool TryTake(CircuitBreakerLimits limits) => _held = breaker.TryStartRetry(limits);

    public void Finish()
    {
        if (_held)
        {
            _held = false;
            breaker.RetryFinished();
        }
    }
}
