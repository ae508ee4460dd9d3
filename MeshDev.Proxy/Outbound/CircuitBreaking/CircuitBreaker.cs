using MeshDev.Core.Discovery;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Outbound.CircuitBreaking;

/// <summary>
/// Envoy's circuit breaker thresholds for one cluster (or a subset with its own connectionPool), as Istio's
/// connectionPool sets them. A field left at 0 gets Envoy's default.
/// </summary>
public sealed record CircuitBreakerLimits(int MaxRequests, int MaxPending, int MaxRetries)
{
    /// <summary>Envoy's default for max_connections, max_pending_requests, max_requests and (as Istio sets it) max_retries.</summary>
    public const int EnvoyDefault = 1024;

    public static readonly CircuitBreakerLimits Default = new(EnvoyDefault, EnvoyDefault, EnvoyDefault);

    /// <summary>
    /// An HTTP/1.1 upstream needs a connection for each request in flight, so max_connections bounds the requests;
    /// an HTTP/2 upstream multiplexes them and http2_max_requests bounds them instead.
    /// </summary>
    public static CircuitBreakerLimits From(ConnectionPool? pool, ServiceProtocol protocol)
    {
        if (pool is null)
        {
            return Default;
        }

        var inFlight = ServiceProtocols.UsesHttp2(protocol) ? pool.Http2MaxRequests : pool.MaxConnections;
        return new(OrDefault(inFlight), OrDefault(pool.Http1MaxPendingRequests), OrDefault(pool.MaxRetries));
    }

    private static int OrDefault(uint value) => value == 0 ? EnvoyDefault : (int)Math.Min(value, int.MaxValue);
}

/// <summary>
/// Requests and retries in flight to one cluster, and the requests waiting for room. It outlives snapshots (a new
/// snapshot takes over the breaker of a cluster it keeps), so a push under load does not reset the counts; the limits
/// come from the snapshot each request uses. Below the limits acquiring is one compare-and-swap; the lock and the
/// queue are only for requests that have to wait.
/// </summary>
public sealed class CircuitBreaker
{
    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private int _active;
    private int _waitingCount;
    private int _activeRetries;

    public int ActiveRequests => Volatile.Read(ref _active);

    public int PendingRequests => Volatile.Read(ref _waitingCount);

    /// <returns>
    /// <see cref="Admission.Admitted"/> immediately or after waiting in the pending queue (<see cref="Admission.Queued"/>),
    /// <see cref="Admission.Overflow"/> when the queue is full too. An admitted request must call <see cref="Release"/>.
    /// </returns>
    public async ValueTask<Admission> AcquireAsync(CircuitBreakerLimits limits, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _waitingCount) == 0 && TryTakeSlot(limits.MaxRequests))
        {
            return Admission.Admitted;
        }

        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            // Announcing the waiter before looking at the slots again pairs with Release, which frees a slot before it
            // looks for waiters: one of the two always sees the other.
            if (Interlocked.Increment(ref _waitingCount) > limits.MaxPending)
            {
                Interlocked.Decrement(ref _waitingCount);
                return TryTakeSlot(limits.MaxRequests) ? Admission.Admitted : Admission.Overflow;
            }

            if (TryTakeSlot(limits.MaxRequests))
            {
                Interlocked.Decrement(ref _waitingCount);
                return Admission.Admitted;
            }

            Volatile.Write(ref _limitsForWaiters, limits);
            node = _waiting.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        using (cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), node.Value))
        {
            try
            {
                await node.Value.Task;
                return Admission.Queued;
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    if (node.List is not null)
                    {
                        _waiting.Remove(node);
                        Interlocked.Decrement(ref _waitingCount);
                    }
                }

                throw;
            }
        }
    }

    public void Release()
    {
        Interlocked.Decrement(ref _active);
        if (Volatile.Read(ref _waitingCount) > 0)
        {
            HandOverToWaiters();
        }
    }

    /// <returns>False when max_retries retries are already in flight (Envoy's retry_overflow).</returns>
    public bool TryStartRetry(CircuitBreakerLimits limits)
    {
        if (Interlocked.Increment(ref _activeRetries) > limits.MaxRetries)
        {
            Interlocked.Decrement(ref _activeRetries);
            return false;
        }

        return true;
    }

    public void RetryFinished() => Interlocked.Decrement(ref _activeRetries);

    // The limit of the most recent waiter: a slot freed by Release goes to a waiter only while below it.
    private CircuitBreakerLimits _limitsForWaiters = CircuitBreakerLimits.Default;

    private void HandOverToWaiters()
    {
        lock (_gate)
        {
            while (_waiting.First is { } first && TryTakeSlot(Volatile.Read(ref _limitsForWaiters).MaxRequests))
            {
                _waiting.RemoveFirst();
                Interlocked.Decrement(ref _waitingCount);
                if (!first.Value.TrySetResult())
                {
                    // The waiter gave up just now; the slot goes to the next one.
                    Interlocked.Decrement(ref _active);
                }
            }
        }
    }

    private bool TryTakeSlot(int limit)
    {
        var current = Volatile.Read(ref _active);
        while (current < limit)
        {
            var seen = Interlocked.CompareExchange(ref _active, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }
}

public enum Admission
{
    Admitted,

    /// <summary>Admitted after waiting because the in-flight limit was reached (Envoy counts upstream_cx_overflow).</summary>
    Queued,

    /// <summary>Refused: the pending queue is full too (Envoy's UO).</summary>
    Overflow,
}
