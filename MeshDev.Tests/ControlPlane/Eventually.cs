namespace MeshDev.Tests.ControlPlane;

/// <summary>Polls an asynchronous read until its value satisfies a condition, for state that settles over the wire.</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The condition did not hold within {timeout ?? TimeSpan.FromSeconds(10)}; last value: {value}");
            }

            await Task.Delay(50);
        }
    }
}
