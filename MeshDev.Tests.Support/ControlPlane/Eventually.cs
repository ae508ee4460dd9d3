namespace MeshDev.Tests.ControlPlane;

/// <summary>
/// The one way tests wait: poll a read until its value satisfies a condition, for state that settles over the wire or
/// across processes. On timeout it fails saying what it waited for, the last value it saw and any detail the caller
/// adds (a process's output, what a receiver got).
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads until <paramref name="condition"/> holds for the value; returns that value.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan? timeout = null,
        string? what = null, Func<string>? detail = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{(what is null ? "The condition" : $"Waiting for {what}:")} did not hold within {limit}; last value: {value}" +
                    (detail is null ? "" : $"\n{detail()}"));
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> is true.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        ValueAsync(condition, holds => holds, timeout, what, detail);

    /// <summary>Polls until <paramref name="condition"/> is true.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        ValueAsync(() => Task.FromResult(condition()), holds => holds, timeout, what, detail);
}
