using System.Globalization;
using Docker.DotNet;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// One pod run as the kubelet runs it, on Docker: a pause container holds the pod's network namespace (its address
/// on the cluster network is the pod IP, its network aliases the Service names that select the pod) and every
/// container joins it with <c>--network container:&lt;pause&gt;</c>, so they share loopback as a pod's containers do.
/// Init containers run in order, each to completion, except native sidecars (<c>restartPolicy: Always</c>), which
/// are started and whose startupProbe must pass before the next one; then the app containers start and their
/// startup probes are run. Image, command, args, env, working directory, volume mounts and the security context come
/// from the spec; <c>runAsNonRoot</c> is checked against the user the container would run as, as the kubelet does.
/// It does not restart failed containers: a startup probe that reaches its failure threshold, or a container that
/// exits, fails the run with the kubelet's reason and the container's log.
/// </summary>
public sealed class RunningPod : IAsyncDisposable
{
    private readonly PodCluster _cluster;
    private readonly V1PodSpec _spec;
    private readonly List<(V1Container Spec, IContainer Running)> _containers = [];
    private IContainer? _pause;
    private PodVolumes? _volumes;

    private RunningPod(PodCluster cluster, PodIdentity identity, V1PodSpec spec)
    {
        _cluster = cluster;
        Identity = identity;
        _spec = spec;
    }

    public PodIdentity Identity { get; private set; }

    public string Ip => Identity.Ip;

    public IEnumerable<V1Container> ContainerSpecs => _containers.Select(c => c.Spec);

    public static async Task<RunningPod> StartAsync(PodCluster cluster, PodIdentity identity, V1PodSpec spec, IReadOnlyList<string> aliases, CancellationToken cancellation)
    {
        var pod = new RunningPod(cluster, identity, spec);
        try
        {
            await pod.StartSandboxAsync(aliases, cancellation);
            foreach (var init in spec.InitContainers ?? [])
            {
                var running = await pod.StartContainerAsync(init, cancellation);
                if (init.RestartPolicy == "Always")
                {
                    if (init.StartupProbe is not null)
                    {
                        await pod.AwaitStartupAsync(init, running, cancellation);
                    }
                }
                else
                {
                    var exitCode = await running.GetExitCodeAsync(cancellation);
                    if (exitCode != 0)
                    {
                        throw new PodSpecRefusedException(identity, init, $"Init:Error, exited with {exitCode}\n{await Logs(running)}");
                    }
                }
            }
            var started = new List<(V1Container, IContainer)>();
            foreach (var container in spec.Containers)
            {
                started.Add((container, await pod.StartContainerAsync(container, cancellation)));
            }
            await Task.WhenAll(started.Where(c => c.Item1.StartupProbe is not null)
                .Select(c => pod.AwaitStartupAsync(c.Item1, c.Item2, cancellation)));
            return pod;
        }
        catch
        {
            await pod.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs every readiness probe of the pod (native sidecars' included) until each has passed its success threshold,
    /// as the kubelet does before it marks the pod Ready; throws with the last failure when <paramref name="within"/>
    /// runs out or a container exits first.
    /// </summary>
    public async Task AwaitReadyAsync(TimeSpan within, CancellationToken cancellation)
    {
        await Task.WhenAll(_containers.Where(c => c.Spec.ReadinessProbe is not null).Select(async c =>
        {
            var probe = Probe("readiness", c.Spec.ReadinessProbe, c.Spec, c.Running);
            var deadline = DateTime.UtcNow + within;
            await Task.Delay(probe.InitialDelay, cancellation);
            var successes = 0;
            string? failure = null;
            while (successes < probe.SuccessThreshold)
            {
                await ThrowIfExitedAsync(c.Spec, c.Running);
                failure = await probe.TryAsync(cancellation);
                successes = failure is null ? successes + 1 : 0;
                if (successes >= probe.SuccessThreshold)
                {
                    break;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new PodSpecRefusedException(Identity, c.Spec,
                        $"not Ready within {within.TotalSeconds:0} s: {probe.Describe()}: {failure}\n{await Logs(c.Running)}");
                }
                await Task.Delay(probe.Period, cancellation);
            }
        }));
    }

    /// <summary>Runs a command in one of the pod's containers, as <c>kubectl exec</c> does.</summary>
    public async Task<ExecResult> ExecAsync(string container, IList<string> command, CancellationToken cancellation)
    {
        var running = _containers.SingleOrDefault(c => c.Spec.Name == container).Running
            ?? throw new InvalidOperationException($"pod {Identity.Name} has no container {container} ({string.Join(", ", _containers.Select(c => c.Spec.Name))})");
        return await running.ExecAsync(command, cancellation);
    }

    /// <summary>The last lines each container of the pod wrote, for a failure message.</summary>
    public async Task<string> LogsAsync()
    {
        var parts = new List<string>();
        foreach (var (spec, running) in _containers)
        {
            parts.Add($"--- {Identity.Name}/{spec.Name}\n{await Logs(running)}");
        }
        return string.Join('\n', parts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, running) in Enumerable.Reverse(_containers))
        {
            await running.DisposeAsync();
        }
        if (_pause is not null)
        {
            await _pause.DisposeAsync();
        }
        _volumes?.Dispose();
    }

    private async Task StartSandboxAsync(IReadOnlyList<string> aliases, CancellationToken cancellation)
    {
        _pause = new ContainerBuilder()
            .WithImage(_cluster.PauseImage)
            .WithImagePullPolicy(PullPolicy.Never)
            .WithName($"{_cluster.RunName}-{Identity.Name}-pause")
            .WithLabel(PodCluster.RunLabel, _cluster.RunName)
            .WithEntrypoint("sleep", "infinity")
            .WithNetwork(_cluster.NetworkName)
            .WithNetworkAliases(aliases)
            .WithHostname(Identity.Name)
            .WithCreateParameterModifier(p => p.User = "65535:65535")
            .Build();
        await _pause.StartAsync(cancellation);
        var inspected = await _cluster.Docker.Containers.InspectContainerAsync(_pause.Id, cancellation);
        var ip = inspected.NetworkSettings.Networks[_cluster.NetworkName].IPAddress;
        Identity = Identity with { Ip = ip };
        _volumes = PodVolumes.Materialize(_spec, Identity, _cluster.Objects);
    }

    private async Task<IContainer> StartContainerAsync(V1Container container, CancellationToken cancellation)
    {
        var env = PodEnvironment.Resolve(container, Identity, _cluster.Objects);
        var user = await EffectiveUserAsync(container, cancellation);
        var context = container.SecurityContext;
        var builder = new ContainerBuilder()
            .WithImage(container.Image)
            .WithImagePullPolicy(PullPolicy.Never)
            .WithName($"{_cluster.RunName}-{Identity.Name}-{container.Name}")
            .WithLabel(PodCluster.RunLabel, _cluster.RunName)
            .WithEnvironment(env)
            .WithCreateParameterModifier(p =>
            {
                p.HostConfig.NetworkMode = $"container:{_pause!.Id}";
                p.User = user;
                p.HostConfig.ReadonlyRootfs = context?.ReadOnlyRootFilesystem == true;
                if (context?.AllowPrivilegeEscalation == false)
                {
                    p.HostConfig.SecurityOpt = ["no-new-privileges"];
                }
                if (context?.Capabilities is { } capabilities)
                {
                    p.HostConfig.CapDrop = capabilities.Drop?.ToList();
                    p.HostConfig.CapAdd = capabilities.Add?.ToList();
                }
            });
        if (container.Command is { Count: > 0 } command)
        {
            builder = builder.WithEntrypoint(command.Select(c => PodEnvironment.Expand(c, env)).ToArray());
        }
        if (container.Args is { Count: > 0 } args)
        {
            builder = builder.WithCommand(args.Select(a => PodEnvironment.Expand(a, env)).ToArray());
        }
        if (!string.IsNullOrEmpty(container.WorkingDir))
        {
            builder = builder.WithWorkingDirectory(container.WorkingDir);
        }
        foreach (var mount in container.VolumeMounts ?? [])
        {
            builder = builder.WithBindMount(_volumes!.HostPath(mount, Identity, container), mount.MountPath,
                mount.ReadOnlyProperty == true ? AccessMode.ReadOnly : AccessMode.ReadWrite);
        }

        var running = builder.Build();
        _containers.Add((container, running));
        try
        {
            await running.StartAsync(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new PodSpecRefusedException(Identity, container, $"could not start: {e.Message}\n{await Logs(running)}");
        }
        return running;
    }

    /// <summary>
    /// The user the container runs as: the security context's runAsUser/runAsGroup (container over pod), else the
    /// image's USER; with runAsNonRoot the kubelet refuses a root or non-numeric user, and so does this.
    /// </summary>
    private async Task<string> EffectiveUserAsync(V1Container container, CancellationToken cancellation)
    {
        var uid = container.SecurityContext?.RunAsUser ?? _spec.SecurityContext?.RunAsUser;
        var gid = container.SecurityContext?.RunAsGroup ?? _spec.SecurityContext?.RunAsGroup;
        var nonRoot = container.SecurityContext?.RunAsNonRoot ?? _spec.SecurityContext?.RunAsNonRoot;
        var imageUser = await ImageUserAsync(container, cancellation);
        var user = uid?.ToString(CultureInfo.InvariantCulture) ?? imageUser.Split(':')[0];
        if (nonRoot == true)
        {
            if (!long.TryParse(user, out var numeric))
            {
                throw new PodSpecRefusedException(Identity, container, string.IsNullOrEmpty(user)
                    ? "CreateContainerConfigError: container has runAsNonRoot and image will run as root"
                    : $"CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user ({user}), cannot verify user is non-root");
            }
            if (numeric == 0)
            {
                throw new PodSpecRefusedException(Identity, container, "CreateContainerConfigError: container has runAsNonRoot and image will run as root");
            }
        }
        var group = gid?.ToString(CultureInfo.InvariantCulture) ?? (imageUser.Contains(':') && uid is null ? imageUser.Split(':')[1] : null);
        return group is null ? user : $"{user}:{group}";
    }

    private async Task<string> ImageUserAsync(V1Container container, CancellationToken cancellation)
    {
        try
        {
            return (await _cluster.Docker.Images.InspectImageAsync(container.Image, cancellation)).Config.User ?? "";
        }
        catch (DockerImageNotFoundException)
        {
            throw new PodSpecRefusedException(Identity, container,
                $"ErrImageNeverPull: image \"{container.Image}\" is not on this Docker engine (no registry is reachable here; deploy/images/build.sh builds MeshDev's images)");
        }
    }

    private async Task AwaitStartupAsync(V1Container container, IContainer running, CancellationToken cancellation)
    {
        var probe = Probe("startup", container.StartupProbe, container, running);
        await Task.Delay(probe.InitialDelay, cancellation);
        var failures = 0;
        while (true)
        {
            await ThrowIfExitedAsync(container, running);
            var failure = await probe.TryAsync(cancellation);
            if (failure is null)
            {
                return;
            }
            if (++failures >= probe.FailureThreshold)
            {
                throw new PodSpecRefusedException(Identity, container,
                    $"{probe.Describe()} failed {failures} times (failureThreshold {probe.FailureThreshold}, period {probe.Period.TotalSeconds:0} s), the kubelet would restart it: {failure}\n{await Logs(running)}");
            }
            await Task.Delay(probe.Period, cancellation);
        }
    }

    private ContainerProbe Probe(string kind, V1Probe probe, V1Container container, IContainer running) =>
        new(kind, probe, container, Identity.Ip, running);

    private async Task ThrowIfExitedAsync(V1Container container, IContainer running)
    {
        var state = (await _cluster.Docker.Containers.InspectContainerAsync(running.Id)).State;
        if (!state.Running)
        {
            throw new PodSpecRefusedException(Identity, container, $"exited with {state.ExitCode} (CrashLoopBackOff)\n{await Logs(running)}");
        }
    }

    private static async Task<string> Logs(IContainer running)
    {
        try
        {
            var (stdout, stderr) = await running.GetLogsAsync(timestampsEnabled: false);
            var lines = (stdout + stderr).Split('\n');
            return string.Join('\n', lines.TakeLast(40));
        }
        catch (Exception e) when (e is DockerApiException or InvalidOperationException)
        {
            return $"(no log: {e.Message})";
        }
    }
}
