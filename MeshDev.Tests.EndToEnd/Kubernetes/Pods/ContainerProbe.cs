using System.Net.Sockets;
using DotNet.Testcontainers.Containers;
using k8s.Models;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// One container probe run as the kubelet runs it: httpGet against the pod IP (or the probe's host) with the probe's
/// scheme, path and headers, success for 200-399; tcpSocket connects; exec runs in the container and succeeds on
/// exit code 0. Each attempt is bounded by timeoutSeconds.
/// </summary>
public sealed class ContainerProbe(string kind, V1Probe probe, V1Container container, string podIp, IContainer running)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectTimeout = Timeout.InfiniteTimeSpan,
        PooledConnectionLifetime = TimeSpan.Zero,
    });

    public string Kind => kind;

    public TimeSpan InitialDelay => TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0);

    public TimeSpan Period => TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10);

    public int FailureThreshold => probe.FailureThreshold ?? 3;

    public int SuccessThreshold => probe.SuccessThreshold ?? 1;

    public string Describe() => probe switch
    {
        { HttpGet: { } get } => $"{kind} probe httpGet {get.Scheme ?? "HTTP"} {get.Host ?? podIp}:{get.Port.Value}{get.Path}",
        { TcpSocket: { } tcp } => $"{kind} probe tcpSocket {tcp.Host ?? podIp}:{tcp.Port.Value}",
        { Exec: { } exec } => $"{kind} probe exec {string.Join(' ', exec.Command)}",
        _ => $"{kind} probe",
    };

    /// <summary>One attempt: null when it passed, else why it failed.</summary>
    public async Task<string?> TryAsync(CancellationToken cancellation)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.CancelAfter(TimeSpan.FromSeconds(probe.TimeoutSeconds ?? 1));
        try
        {
            if (probe.HttpGet is { } get)
            {
                var scheme = (get.Scheme ?? "HTTP").ToLowerInvariant();
                var uri = new Uri($"{scheme}://{get.Host ?? podIp}:{Port(get.Port)}{(get.Path ?? "/").TrimStart()}");
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.UserAgent.ParseAdd("kube-probe/1.32");
                foreach (var header in get.HttpHeaders ?? [])
                {
                    request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                }
                using var response = await Http.SendAsync(request, attempt.Token);
                var status = (int)response.StatusCode;
                return status is >= 200 and < 400 ? null : $"HTTP probe failed with statuscode: {status}";
            }
            if (probe.TcpSocket is { } tcp)
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(tcp.Host ?? podIp, Port(tcp.Port), attempt.Token);
                return null;
            }
            if (probe.Exec is { } exec)
            {
                var result = await running.ExecAsync(exec.Command, attempt.Token);
                return result.ExitCode == 0 ? null : $"exec exited with {result.ExitCode}: {result.Stderr}{result.Stdout}";
            }
            return "the probe has no handler this kubelet stand-in runs (httpGet, tcpSocket, exec)";
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return $"timed out after {probe.TimeoutSeconds ?? 1} s";
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
        {
            return e.Message;
        }
    }

    private int Port(IntOrString port)
    {
        if (int.TryParse(port.Value, out var number))
        {
            return number;
        }
        return container.Ports?.FirstOrDefault(p => p.Name == port.Value)?.ContainerPort
            ?? throw new InvalidOperationException($"container {container.Name}: {kind} probe names port \"{port.Value}\", which the container does not declare");
    }
}
