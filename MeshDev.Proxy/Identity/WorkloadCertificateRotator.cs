using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Forwarding;

namespace MeshDev.Proxy.Identity;

/// <summary>
/// Keeps the proxy's workload certificate current: asks for one at start, renews at half of its lifetime (a little
/// earlier by jitter, so proxies started together do not renew in step), and retries with backoff while the
/// certificate in force is still good. The token and the key never reach a log line.
/// </summary>
public sealed class WorkloadCertificateRotator(
    ProxyOptions options,
    CertificateAuthorityClient authority,
    WorkloadCertificateStore store,
    TimeProvider time,
    ILogger<WorkloadCertificateRotator> logger) : BackgroundService
{
    private static readonly TimeSpan ShortestRetry = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(30));
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var previous = store.Current;
                var certificate = await authority.IssueAsync(stoppingToken);
                store.Swap(certificate);
                backoff.Reset();
                delay = certificate.RenewAt - time.GetUtcNow();
                logger.LogInformation(
                    "Workload certificate for {Identity}: serial {Serial}, valid until {NotAfter:O}{Replaced}; renewing at {RenewAt:O}.",
                    certificate.Identity, certificate.SerialNumber, certificate.NotAfter,
                    previous is null ? "" : $", replacing serial {previous.SerialNumber}", certificate.RenewAt);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                delay = backoff.NextDelay();
                var current = store.Current;
                if (current is not null && current.IsValidAt(time.GetUtcNow()))
                {
                    // Retrying sooner than a quarter of what is left would not help; later could let it lapse.
                    var left = current.NotAfter - time.GetUtcNow();
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks, Math.Max(ShortestRetry.Ticks, left.Ticks / 4)));
                }

                var reason = SocketErrors.DescribeFailure(e);
                store.Failed(reason, time.GetUtcNow() + delay);
                logger.LogWarning(
                    "Could not get a workload certificate for {Identity} from the CA at {Address} (attempt {Attempt}): {Reason}. {Current}; retrying in {Delay:0.0} s.",
                    options.Identity!.Id, options.ControlPlaneAddress.GetLeftPart(UriPartial.Authority), backoff.Failures, reason,
                    current is null ? "No certificate yet" : $"Serving with serial {current.SerialNumber}, valid until {current.NotAfter:O}",
                    delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
