using System.Threading.Channels;
using MeshDev.ControlPlane.Registry;

namespace MeshDev.ControlPlane.Push;

public interface IPushScheduler
{
    /// <summary>Asks for every connected proxy to get a fresh snapshot after the debounce window.</summary>
    void RequestPush();

    /// <summary>
    /// Asks for a push without waiting out the debounce window: for one deliberate change (a config apply, a saved
    /// file), which comes alone, unlike the bursts of registry changes that the window gathers.
    /// </summary>
    void RequestPushNow();
}

/// <summary>
/// Debounces pushes: a burst of registry changes (a whole topology starting) becomes one compile and at most one
/// snapshot per proxy. The quiet period restarts on every change but never delays a push by more than
/// <see cref="MaxDelayFactor"/> windows, so a steady trickle of changes cannot starve the proxies.
/// </summary>
public sealed partial class PushScheduler : BackgroundService, IPushScheduler
{
    private const int MaxDelayFactor = 10;

    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ProxyConnectionHub _hub;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PushScheduler> _logger;
    // Set by RequestPushNow: the next push skips the debounce window.
    private int _pushNow;

    public PushScheduler(IWorkloadRegistry registry, ProxyConnectionHub hub, ControlPlaneOptions options, TimeProvider time, ILogger<PushScheduler> logger)
    {
        _hub = hub;
        _options = options;
        _time = time;
        _logger = logger;
        registry.Changed += _ => RequestPush();
    }

    public void RequestPush() => _requests.Writer.TryWrite(true);

    public void RequestPushNow()
    {
        Volatile.Write(ref _pushNow, 1);
        _requests.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _requests.Reader.WaitToReadAsync(stoppingToken))
            {
                var firstRequest = _time.GetTimestamp();
                _requests.Reader.TryRead(out _);
                while (Interlocked.Exchange(ref _pushNow, 0) == 0)
                {
                    await Task.Delay(_options.PushDebounce, _time, stoppingToken);
                    if (!_requests.Reader.TryRead(out _) || _time.GetElapsedTime(firstRequest) >= _options.PushDebounce * MaxDelayFactor)
                    {
                        break;
                    }
                }

                await PushAllAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Each stream pushes on its own, so one proxy that does not read never holds up the others' pushes.</summary>
    private Task PushAllAsync(CancellationToken cancellationToken)
    {
        var connections = _hub.Connections;
        foreach (var connection in connections)
        {
            connection.RequestPush(OnPushFailed);
        }

        LogPushed(connections.Count);
        return Task.CompletedTask;
    }

    private void OnPushFailed(ProxyConnection connection, Exception ex) =>
        // The stream is going away; its own handler reports the disconnect.
        LogPushFailed(connection.ProxyId, ex.Message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push round: asked {Connected} connected proxies' streams to push")]
    private partial void LogPushed(int connected);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push to proxy {ProxyId} failed: {Reason}")]
    private partial void LogPushFailed(string proxyId, string reason);
}
