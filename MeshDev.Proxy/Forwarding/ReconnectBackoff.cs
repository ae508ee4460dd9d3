namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// Exponential backoff with jitter for reconnecting to the control plane: 0.5 s doubling up to 5 s, each delay
/// shaken by ±20 % so that proxies restarted together do not reconnect in step. The ceiling stays below the
/// control plane's startup warm-up, so every proxy is back before a restarted control plane starts pushing.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan maximum)
{
    private int _failures;

    public ReconnectBackoff() : this(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5))
    {
    }

    public int Failures => _failures;

    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(_failures, 16);
        _failures++;
        var delay = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), maximum.TotalMilliseconds);
        var jittered = delay * (0.8 + Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maximum.TotalMilliseconds));
    }

    public void Reset() => _failures = 0;
}
