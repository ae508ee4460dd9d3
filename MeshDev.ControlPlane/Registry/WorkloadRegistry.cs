using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Registry;

/// <summary>
/// In-memory registry. Entries are immutable <see cref="Workload"/> records replaced under one lock; removal
/// after the grace period is checked against the session so a reconnect in the meantime keeps the entry. While a
/// disconnected proxy waits out its grace period its admin listener is probed: once that refuses connections the
/// process is gone and its endpoints leave load balancing, so peers stop trying a dead instance at once.
/// </summary>
public sealed partial class WorkloadRegistry(
    ControlPlaneOptions options, TimeProvider time, IProxyLiveness liveness, MeshChangeSignal changes, ILogger<WorkloadRegistry> logger)
    : IWorkloadRegistry, IDisposable
{
    /// <summary>How often a disconnected proxy is probed during its grace period.</summary>
    public static readonly TimeSpan LivenessProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Workload> _workloads = new(StringComparer.Ordinal);
    // Outlives removal, so a proxy that comes back after its grace period still counts as restarted.
    private readonly Dictionary<string, (string InstanceId, int Restarts)> _instances = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private long _nextSession;

    public event Action<RegistryChange>? Changed;

    public long Register(ProxyHello hello)
    {
        var session = Interlocked.Increment(ref _nextSession);
        var workload = new Workload
        {
            ProxyId = hello.ProxyId,
            Mode = hello.Mode,
            Service = hello.Service,
            Namespace = string.IsNullOrEmpty(hello.Namespace) ? Core.MeshEnvironment.DefaultNamespace : hello.Namespace,
            Labels = new SortedDictionary<string, string>(hello.Labels, StringComparer.Ordinal),
            InboundAddress = hello.InboundAddress,
            ServicePort = hello.ServicePort,
            Protocol = hello.Protocol,
            AdminUrl = hello.AdminUrl,
            Healthy = hello.Healthy,
            UpstreamServices = [.. hello.UpstreamServices],
            Identity = hello.Identity,
            Connected = true,
            ConnectedAt = time.GetUtcNow(),
            Session = session,
            InstanceId = hello.InstanceId,
            StartedAt = hello.StartedAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(hello.StartedAtUnixMs) : null,
        };

        bool replaced;
        bool restarted;
        lock (_lock)
        {
            replaced = _workloads.ContainsKey(workload.ProxyId);
            var known = _instances.GetValueOrDefault(workload.ProxyId, (InstanceId: "", Restarts: 0));
            // A reconnect of the same process keeps its instance id; a new one under a known id is a new process.
            restarted = known.InstanceId.Length > 0 && workload.InstanceId.Length > 0 && known.InstanceId != workload.InstanceId;
            var restarts = known.Restarts + (restarted ? 1 : 0);
            if (workload.InstanceId.Length > 0)
            {
                _instances[workload.ProxyId] = (workload.InstanceId, restarts);
            }
            workload = workload with { Restarts = restarts };
            _workloads[workload.ProxyId] = workload;
        }

        LogRegistered(workload.ProxyId, workload.Mode, workload.Service, workload.Namespace, workload.InboundAddress, replaced);
        if (restarted)
        {
            LogRestarted(workload.ProxyId, workload.Restarts, workload.InstanceId);
        }
        Notify(new(RegistryChangeKind.Registered, workload.ProxyId));
        return session;
    }

    public void ReportHealth(string proxyId, long session, bool healthy)
    {
        lock (_lock)
        {
            if (!_workloads.TryGetValue(proxyId, out var current) || current.Session != session || current.Healthy == healthy)
            {
                return;
            }

            _workloads[proxyId] = current with { Healthy = healthy };
        }

        LogHealthChanged(proxyId, healthy);
        Notify(new(RegistryChangeKind.HealthChanged, proxyId));
    }

    public void Disconnect(string proxyId, long session)
    {
        lock (_lock)
        {
            if (!_workloads.TryGetValue(proxyId, out var current) || current.Session != session || !current.Connected)
            {
                return;
            }

            _workloads[proxyId] = current with { Connected = false, DisconnectedAt = time.GetUtcNow() };
        }

        LogDisconnected(proxyId, options.DisconnectGracePeriod);
        Notify(new(RegistryChangeKind.Disconnected, proxyId));
        _ = RemoveAfterGracePeriodAsync(proxyId, session);
        _ = WatchWhileDisconnectedAsync(proxyId, session);
    }

    public Workload? Find(string proxyId)
    {
        lock (_lock)
        {
            return _workloads.GetValueOrDefault(proxyId);
        }
    }

    public IReadOnlyList<Workload> GetAll()
    {
        lock (_lock)
        {
            return [.. _workloads.Values];
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    /// <summary>Probes the disconnected proxy until it reconnects, is found gone, or its grace period ends.</summary>
    private async Task WatchWhileDisconnectedAsync(string proxyId, long session)
    {
        var adminUrl = Find(proxyId)?.AdminUrl ?? "";
        var deadline = time.GetUtcNow() + options.DisconnectGracePeriod;
        try
        {
            while (time.GetUtcNow() < deadline)
            {
                if (!IsDisconnectedSession(proxyId, session))
                {
                    return;
                }

                if (await liveness.IsGoneAsync(adminUrl, _disposed.Token))
                {
                    MarkProcessGone(proxyId, session);
                    return;
                }

                await Task.Delay(LivenessProbeInterval, time, _disposed.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private bool IsDisconnectedSession(string proxyId, long session)
    {
        lock (_lock)
        {
            return _workloads.TryGetValue(proxyId, out var current) && current.Session == session && !current.Connected;
        }
    }

    private void MarkProcessGone(string proxyId, long session)
    {
        lock (_lock)
        {
            if (!_workloads.TryGetValue(proxyId, out var current) || current.Session != session || current.Connected || current.ProcessGone)
            {
                return;
            }

            _workloads[proxyId] = current with { ProcessGone = true };
        }

        LogProcessGone(proxyId);
        Notify(new(RegistryChangeKind.ProcessGone, proxyId));
    }

    private async Task RemoveAfterGracePeriodAsync(string proxyId, long session)
    {
        try
        {
            await Task.Delay(options.DisconnectGracePeriod, time, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_lock)
        {
            // A reconnect took a new session (or is connected again): the entry is not ours to remove.
            if (!_workloads.TryGetValue(proxyId, out var current) || current.Session != session || current.Connected)
            {
                return;
            }

            _workloads.Remove(proxyId);
        }

        LogRemoved(proxyId, options.DisconnectGracePeriod);
        Notify(new(RegistryChangeKind.Removed, proxyId));
    }

    /// <summary>Tells the registry's own listeners which proxy changed, and the mesh that its snapshots may have.</summary>
    private void Notify(RegistryChange change)
    {
        Changed?.Invoke(change);
        changes.Publish(MeshChangeKind.Registry);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Proxy {ProxyId} registered ({Mode}, service {Service}.{Namespace}, inbound '{InboundAddress}', reconnect: {Replaced})")]
    private partial void LogRegistered(string proxyId, ProxyMode mode, string service, string @namespace, string inboundAddress, bool replaced);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} reports healthy={Healthy}")]
    private partial void LogHealthChanged(string proxyId, bool healthy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected; its workload stays for {GracePeriod}")]
    private partial void LogDisconnected(string proxyId, TimeSpan gracePeriod);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} came back as a new process (restart {Restarts}, instance {InstanceId})")]
    private partial void LogRestarted(string proxyId, int restarts, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} is gone (its admin listener refuses connections); its endpoints leave load balancing until it reconnects")]
    private partial void LogProcessGone(string proxyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} removed after {GracePeriod} without reconnecting")]
    private partial void LogRemoved(string proxyId, TimeSpan gracePeriod);
}
