namespace MeshDev.Proxy.Outbound.Retries;

/// <summary>Envoy's fully jittered exponential back-off between tries: 25 ms base, capped at ten times the base.</summary>
public static class RetryBackOff
{
    private const int BaseMilliseconds = 25;

    /// <summary>The exclusive upper bound of the wait after try <paramref name="attempt"/> (0 for the first).</summary>
    public static int CeilingMilliseconds(int attempt) => Math.Min(BaseMilliseconds << Math.Clamp(attempt, 0, 4), BaseMilliseconds * 10);

    /// <returns>False when the request ended (client gone or route timeout) during the back-off.</returns>
    public static async ValueTask<bool> WaitAsync(HttpContext context, int attempt, CancellationTokenSource? routeTimeout)
    {
        var delay = TimeSpan.FromMilliseconds(Random.Shared.Next(CeilingMilliseconds(attempt)));
        using var linked = routeTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, routeTimeout.Token);
        try
        {
            await Task.Delay(delay, linked?.Token ?? context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
