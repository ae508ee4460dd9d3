using System.Threading.Channels;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// The one place that starts pushes: it is the subscriber of the <see cref="MeshChangeSignal"/>, on which the config
/// store, the registry and the other inputs of a snapshot publish their changes. It debounces: a burst of registry
/// changes (a whole topology starting) becomes one round and at most one snapshot per proxy. The quiet period
/// restarts on every change but never delays a push by more than <see cref="MaxDelayFactor"/> windows, so a steady
/// trickle of changes cannot starve the proxies. A deliberate change (a config apply, a saved file, a fetched key
/// set) comes alone and skips the window.
/// </summary>
public sealed partial class PushScheduler : BackgroundService
{
    private const int MaxDelayFactor = 10;

    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ProxyConnectionHub _hub;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PushScheduler> _logger;
    // Set by a deliberate change: the next push skips the debounce window.
    private int _pushNow;
    // The kinds of change gathered into the coming round, one bit per MeshChangeKind (for its log line).
    private int _gathered;

    public PushScheduler(MeshChangeSignal changes, ProxyConnectionHub hub, ControlPlaneOptions options, TimeProvider time, ILogger<PushScheduler> logger)
    {
        _hub = hub;
        _options = options;
        _time = time;
        _logger = logger;
        changes.Changed += OnChanged;
    }

    private void OnChanged(MeshChangeKind kind)
    {
        Interlocked.Or(ref _gathered, 1 << (int)kind);
        if (kind is MeshChangeKind.Config or MeshChangeKind.CompileInput)
        {
            Volatile.Write(ref _pushNow, 1);
        }

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

                PushAll();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Each stream pushes on its own, so one proxy that does not read never holds up the others' pushes.</summary>
    private void PushAll()
    {
        var gathered = Interlocked.Exchange(ref _gathered, 0);
        var connections = _hub.Connections;
        foreach (var connection in connections)
        {
            connection.RequestPush(OnPushFailed);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            LogPushed(string.Join(", ", Enum.GetValues<MeshChangeKind>().Where(k => (gathered & (1 << (int)k)) != 0)), connections.Count);
        }
    }

    private void OnPushFailed(ProxyConnection connection, Exception ex) =>
        // The stream is going away; its own handler reports the disconnect.
        LogPushFailed(connection.ProxyId, ex.Message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push round after {Changes} change: asked {Connected} connected proxies' streams to push")]
    private partial void LogPushed(string changes, int connected);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push to proxy {ProxyId} failed: {Reason}")]
    private partial void LogPushFailed(string proxyId, string reason);
}
