using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// Probes the app behind the sidecar (App:Address + App:HealthPath) on a fixed interval, in the app's own protocol,
/// and raises <see cref="Changed"/> when the answer flips, which the control plane hears about. A TCP app speaks no
/// HTTP, so its probe is a TCP connect to its port, as a Kubernetes tcpSocket probe is. A healthy app turns unhealthy
/// at once on a definite answer (an error status, a refused connection), but only after
/// <see cref="ProxyTuningOptions.HealthProbeMissesToFail"/> probes in a row go unanswered: on a loaded machine one slow
/// answer would otherwise take the instance out of load balancing for a second.
/// </summary>
public sealed class AppHealthMonitor(ProxyOptions options, TimeProvider time, ILogger<AppHealthMonitor> logger) : BackgroundService
{
    private readonly InboundOptions _inbound = options.Inbound ?? throw new InvalidOperationException("App health is probed in sidecar mode only.");
    private volatile AppHealth _current = new(false, "not probed yet", null);
    private int _missesInARow;

    public AppHealth Current => _current;

    public Uri HealthUri => _inbound.AppHealthUri;

    /// <summary>What is probed, for logs and readiness reasons: the health URL, or tcp://host:port for a TCP app.</summary>
    public string Target => ServiceProtocols.IsTcp(_inbound.Protocol) ? $"tcp://{_inbound.AppAddress.Authority}" : _inbound.AppHealthUri.ToString();

    public event Action<AppHealth>? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Tuning.HealthProbeTimeout,
            ActivityHeadersPropagator = null,
        });
        using var timer = new PeriodicTimer(options.Tuning.HealthProbeInterval, time);
        try
        {
            do
            {
                var (health, missed) = await ProbeAsync(client, stoppingToken);
                Update(health, missed);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>The answer, and whether the probe got none within its timeout.</returns>
    private async Task<(AppHealth Health, bool Missed)> ProbeAsync(HttpMessageInvoker client, CancellationToken stoppingToken)
    {
        var timeout = options.Tuning.HealthProbeTimeout;
        if (ServiceProtocols.IsTcp(_inbound.Protocol))
        {
            return await ProbeTcpAsync(timeout, stoppingToken);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, _inbound.AppHealthUri)
        {
            Version = ServiceProtocols.UsesHttp2(_inbound.Protocol) ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        probeTimeout.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, probeTimeout.Token);
            var code = (int)response.StatusCode;
            return (new AppHealth(response.IsSuccessStatusCode, $"HTTP {code}", time.GetUtcNow()), false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (new AppHealth(false, $"no answer within {timeout.TotalSeconds:0.0} s", time.GetUtcNow()), true);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Whatever goes wrong with a probe is an unhealthy answer, never a reason to stop probing.
            return (new AppHealth(false, SocketErrors.Find(e) ?? e.Message, time.GetUtcNow()), false);
        }
    }

    private async Task<(AppHealth Health, bool Missed)> ProbeTcpAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            await using var connection = await Tcp.TcpConnect.ConnectAsync(Tcp.TcpConnect.FromUri(_inbound.AppAddress), timeout, stoppingToken);
            return (new AppHealth(true, "TCP connect succeeded", time.GetUtcNow()), false);
        }
        catch (TimeoutException)
        {
            return (new AppHealth(false, $"no connection within {timeout.TotalSeconds:0.0} s", time.GetUtcNow()), true);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return (new AppHealth(false, SocketErrors.Describe(e), time.GetUtcNow()), false);
        }
    }

    private void Update(AppHealth health, bool missed)
    {
        _missesInARow = missed ? _missesInARow + 1 : 0;
        var previous = _current;
        if (missed && previous.Healthy && _missesInARow < options.Tuning.HealthProbeMissesToFail)
        {
            logger.LogDebug("App {HealthUri} missed a probe ({Detail}); {Misses} of {Limit} in a row before it counts as unhealthy.",
                Target, health.Detail, _missesInARow, options.Tuning.HealthProbeMissesToFail);
            return;
        }

        _current = health;
        if (previous.Healthy == health.Healthy && previous.CheckedAt is not null)
        {
            return;
        }

        if (health.Healthy)
        {
            logger.LogInformation("App {HealthUri} is healthy ({Detail}).", Target, health.Detail);
        }
        else
        {
            logger.LogWarning("App {HealthUri} is not healthy: {Detail}.", Target, health.Detail);
        }

        Changed?.Invoke(health);
    }
}

/// <param name="CheckedAt">When the probe ran; null before the first probe.</param>
public sealed record AppHealth(bool Healthy, string Detail, DateTimeOffset? CheckedAt);
