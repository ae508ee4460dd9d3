namespace MeshDev.Proxy.Telemetry;

/// <summary>A statistic in the registry. Updates are lock-free so that counting costs the hot path almost nothing.</summary>
public abstract class Stat(StatName name)
{
    public StatName Name { get; } = name;
}

public sealed class Counter(StatName name) : Stat(name)
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Add(long amount) => Interlocked.Add(ref _value, amount);
}

public sealed class Gauge(StatName name) : Stat(name)
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Set(long value) => Volatile.Write(ref _value, value);
}
