using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Hosting;

/// <summary>
/// Restarts the mesh's own processes (sidecars, gateways, the control plane) when they exit without being asked to,
/// the way a kubelet restarts a pod's native sidecar: Aspire leaves an exited executable exited, and a mesh with a
/// dead proxy cuts its app off. Apps are left alone: they are the developer's code, and a crash is theirs to see.
/// </summary>
/// <remarks>
/// An exit counts as unexpected when Aspire did not stop the resource (no <c>Stopping</c> state before it) and the
/// process did not end cleanly (exit code other than 0): a crash or a SIGKILL. A Stop from the dashboard shows
/// <c>Stopping</c> first and the proxy ends with 0 on SIGTERM, so a stopped proxy stays stopped. Restarts back off
/// from <see cref="InitialDelay"/> doubling to <see cref="MaxDelay"/>; a run of <see cref="HealthyRunResetsBackoff"/>
/// or longer starts the next backoff from the beginning. Each resource shows <c>mesh.restarts</c> and
/// <c>mesh.lastExit</c> in the dashboard.
/// </remarks>
internal static class MeshRestartSupervisor
{
    public const string RestartsProperty = "mesh.restarts";
    public const string LastExitProperty = "mesh.lastExit";

    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HealthyRunResetsBackoff = TimeSpan.FromSeconds(30);

    public static void Subscribe(IDistributedApplicationBuilder builder)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => WatchAsync(@event.Services, stopping), stopping);
            return Task.CompletedTask;
        });
    }

    private static bool IsSupervised(IResource resource) =>
        resource is MeshSidecarResource or MeshGatewayResource or MeshControlPlaneResource;

    private static async Task WatchAsync(IServiceProvider services, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MeshRestartSupervisor).FullName!);
        var supervised = new Dictionary<string, Supervised>(StringComparer.Ordinal);
        try
        {
            await foreach (var update in notifications.WatchAsync(stopping).ConfigureAwait(false))
            {
                if (!IsSupervised(update.Resource))
                {
                    continue;
                }

                if (!supervised.TryGetValue(update.Resource.Name, out var state))
                {
                    supervised[update.Resource.Name] = state = new Supervised(update.Resource);
                }

                if (state.Observe(update.Snapshot, DateTimeOffset.UtcNow) is { } exit && !stopping.IsCancellationRequested)
                {
                    _ = Task.Run(() => RestartAsync(services, state, exit, logger, stopping), stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private static async Task RestartAsync(IServiceProvider services, Supervised state, UnexpectedExit exit, ILogger logger, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var commands = services.GetRequiredService<ResourceCommandService>();
        var resource = state.Resource;
        try
        {
            await notifications.PublishUpdateAsync(resource, snapshot => snapshot with
            {
                Properties = snapshot.Properties.SetProperty(LastExitProperty, exit.Description),
            }).ConfigureAwait(false);
            logger.LogWarning("Mesh process {Resource} exited unexpectedly ({Exit}); restarting in {Delay:0.0} s.",
                resource.Name, exit.Description, exit.Delay.TotalSeconds);
            await Task.Delay(exit.Delay, stopping).ConfigureAwait(false);
            if (!state.StillWaitingForRestart(exit))
            {
                // Started or stopped by hand in the meantime: the person at the dashboard decided.
                return;
            }

            var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, stopping).ConfigureAwait(false);
            if (!result.Success)
            {
                logger.LogError("Mesh process {Resource} could not be restarted: {Reason}", resource.Name, result.Message);
                return;
            }

            var restarts = state.Restarted();
            await notifications.PublishUpdateAsync(resource, snapshot => snapshot with
            {
                Properties = snapshot.Properties.SetProperty(RestartsProperty, restarts.ToString(CultureInfo.InvariantCulture)),
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private sealed record UnexpectedExit(int Sequence, string Description, TimeSpan Delay);

    /// <summary>What the supervisor knows of one resource; only the watch loop calls <see cref="Observe"/>.</summary>
    private sealed class Supervised(IResource resource)
    {
        private readonly Lock _lock = new();
        private string? _lastState;
        private bool _stopRequested;
        private DateTimeOffset? _runningSince;
        private int _consecutiveFailures;
        private int _exits;
        private int _pendingExit;
        private int _restarts;

        public IResource Resource { get; } = resource;

        /// <returns>The exit to recover from, when this update is an unexpected exit.</returns>
        public UnexpectedExit? Observe(CustomResourceSnapshot snapshot, DateTimeOffset now)
        {
            var text = snapshot.State?.Text;
            lock (_lock)
            {
                var previous = _lastState;
                _lastState = text;
                if (text == previous)
                {
                    return null;
                }

                if (text == KnownResourceStates.Stopping)
                {
                    _stopRequested = true;
                    return null;
                }

                if (text == KnownResourceStates.Starting || text == KnownResourceStates.Running)
                {
                    // Running again (restarted, or started by hand): a later exit is judged afresh.
                    _stopRequested = false;
                    _pendingExit = 0;
                    _runningSince ??= now;
                    return null;
                }

                var terminal = text == KnownResourceStates.Exited || text == KnownResourceStates.Finished || text == KnownResourceStates.FailedToStart;
                if (!terminal || previous is null || KnownResourceStates.TerminalStates.Contains(previous))
                {
                    return null;
                }

                var ranFor = _runningSince is { } since ? now - since : TimeSpan.Zero;
                _runningSince = null;
                if (_stopRequested || snapshot.ExitCode == 0)
                {
                    return null;
                }

                _consecutiveFailures = ranFor >= HealthyRunResetsBackoff ? 1 : _consecutiveFailures + 1;
                var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, InitialDelay.Ticks << Math.Min(_consecutiveFailures - 1, 16)));
                _pendingExit = ++_exits;
                return new UnexpectedExit(_pendingExit, Describe(text, snapshot.ExitCode, now), delay);
            }
        }

        public bool StillWaitingForRestart(UnexpectedExit exit)
        {
            lock (_lock)
            {
                return _pendingExit == exit.Sequence && !_stopRequested;
            }
        }

        public int Restarted()
        {
            lock (_lock)
            {
                return ++_restarts;
            }
        }

        private static string Describe(string? state, int? exitCode, DateTimeOffset at)
        {
            var how = exitCode switch
            {
                null => state == KnownResourceStates.FailedToStart ? "failed to start" : "exited",
                137 or -9 => $"exit code {exitCode} (SIGKILL)",
                134 or -6 => $"exit code {exitCode} (SIGABRT, a crash)",
                139 or -11 => $"exit code {exitCode} (SIGSEGV)",
                _ => $"exit code {exitCode}",
            };
            return $"{how} at {at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z";
        }
    }
}
