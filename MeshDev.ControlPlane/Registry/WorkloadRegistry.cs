using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Registry;

/// <summary>
/// In-memory registry. Entries are immutable <see cref="Workload"/> records replaced under one lock; removal
/// after the grace period is checked against the session so a reconnect in the meantime keeps the entry.
/// </summary>
public sealed partial class WorkloadRegistry(ControlPlaneOptions options, TimeProvider time, ILogger<WorkloadRegistry> logger)
    : IWorkloadRegistry, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Workload> _workloads = new(StringComparer.Ordinal);
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
        };

        bool replaced;
        lock (_lock)
        {
            replaced = _workloads.ContainsKey(workload.ProxyId);
            _workloads[workload.ProxyId] = workload;
        }

        LogRegistered(workload.ProxyId, workload.Mode, workload.Service, workload.Namespace, workload.InboundAddress, replaced);
        Changed?.Invoke(new(RegistryChangeKind.Registered, workload.ProxyId));
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
        Changed?.Invoke(new(RegistryChangeKind.HealthChanged, proxyId));
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
        Changed?.Invoke(new(RegistryChangeKind.Disconnected, proxyId));
        _ = RemoveAfterGracePeriodAsync(proxyId, session);
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
        Changed?.Invoke(new(RegistryChangeKind.Removed, proxyId));
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Proxy {ProxyId} registered ({Mode}, service {Service}.{Namespace}, inbound '{InboundAddress}', reconnect: {Replaced})")]
    private partial void LogRegistered(string proxyId, ProxyMode mode, string service, string @namespace, string inboundAddress, bool replaced);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} reports healthy={Healthy}")]
    private partial void LogHealthChanged(string proxyId, bool healthy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected; its workload stays for {GracePeriod}")]
    private partial void LogDisconnected(string proxyId, TimeSpan gracePeriod);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy {ProxyId} removed after {GracePeriod} without reconnecting")]
    private partial void LogRemoved(string proxyId, TimeSpan gracePeriod);
}
