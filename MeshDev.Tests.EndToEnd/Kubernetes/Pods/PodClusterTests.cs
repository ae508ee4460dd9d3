using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Xunit.Abstractions;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// The kubelet stand-in itself, on a small pod spec written here: that it runs a pod the way the kubelet would
/// (shared network namespace, native sidecar before the app, downward API and Secret env, ConfigMap files, probes,
/// Service names), and that it refuses what the kubelet refuses, so a generated spec's mistake shows.
/// </summary>
[Trait("Category", "Containers")]
[Collection(ContainerTestsCollection.Name)]
public sealed class PodClusterTests(ITestOutputHelper output)
{
    private const string Image = "meshdev/controlplane:latest";

    private static readonly string Objects = """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: runner-check
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: runner-check-mesh
        data:
          reviews.yaml: |
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: reviews
            spec:
              host: reviews
              subsets:
              - name: v1
                labels:
                  version: v1
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: runner-check
        spec:
          selector:
            app: runner-check
          ports:
          - name: http
            port: 80
            targetPort: api
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: runner-check
        spec:
          selector:
            matchLabels:
              app: runner-check
          template:
            metadata:
              labels:
                app: runner-check
                version: v1
            spec:
              serviceAccountName: runner-check
              securityContext:
                runAsNonRoot: true
              volumes:
              - name: mesh
                configMap:
                  name: runner-check-mesh
              initContainers:
              - name: sidecar
                image: meshdev/controlplane:latest
                restartPolicy: Always
                env:
                - name: POD_IP
                  valueFrom:
                    fieldRef:
                      fieldPath: status.podIP
                - name: Mesh__ControlPlane__BindAddress
                  value: $(POD_IP)
                - name: Mesh__ControlPlane__HttpPort
                  value: "15080"
                - name: Mesh__ControlPlane__GrpcPort
                  value: "15012"
                - name: Mesh__ControlPlane__ConfigDirectory
                  value: /etc/mesh
                - name: Mesh__ControlPlane__Services__0
                  value: reviews
                - name: Mesh__ControlPlane__DataDirectory
                  value: /tmp/mesh-data
                - name: Mesh__ControlPlane__BootstrapKey
                  valueFrom:
                    secretKeyRef:
                      name: runner-check-key
                      key: key
                ports:
                - name: api
                  containerPort: 15080
                volumeMounts:
                - name: mesh
                  mountPath: /etc/mesh
                  readOnly: true
                startupProbe:
                  httpGet:
                    path: /api/v1/version
                    port: api
                  periodSeconds: 1
                  timeoutSeconds: 5
                  failureThreshold: 180
                readinessProbe:
                  httpGet:
                    path: /api/v1/version
                    port: 15080
                  periodSeconds: 2
                  timeoutSeconds: 5
              containers:
              - name: app
                image: meshdev/controlplane:latest
                env:
                - name: Mesh__ControlPlane__BindAddress
                  value: 127.0.0.1
                - name: Mesh__ControlPlane__HttpPort
                  value: "16080"
                - name: Mesh__ControlPlane__GrpcPort
                  value: "16012"
                - name: Mesh__ControlPlane__DataDirectory
                  value: /tmp/mesh-data
                - name: POD_NAME
                  valueFrom:
                    fieldRef:
                      fieldPath: metadata.name
                startupProbe:
                  exec:
                    command: ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/16080"]
                  periodSeconds: 1
                  timeoutSeconds: 5
                  failureThreshold: 180
        """;

    [Fact(Timeout = 600_000)]
    public async Task A_pod_runs_as_the_kubelet_runs_it()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(9));
        await DockerEngine.RequireAsync([Image, PauseImage], deadline.Token);
        var objects = new ClusterObjects("default");
        objects.Add(KustomizeOutput.Parse(Objects, "the runner's own pod spec"));
        objects.Add([Secret("runner-check-key", "key", "a bootstrap key only this pod knows")]);

        await using var cluster = await PodCluster.CreateAsync(objects, PauseImage, "10.213.1.0/24", deadline.Token);
        var started = DateTime.UtcNow;
        var pod = Assert.Single(await cluster.RunDeploymentsAsync(deadline.Token));
        await pod.AwaitReadyAsync(TimeSpan.FromMinutes(2), deadline.Token);
        output.WriteLine($"pod {pod.Identity.Name} at {pod.Ip} ready after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Assert.StartsWith("10.213.1.", pod.Ip, StringComparison.Ordinal);

        // The sidecar bound the pod IP it read through the downward API; the Service maps port 80 to it by name.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var endpoint = Assert.Single(cluster.ServiceEndpoints("runner-check", 80));
        Assert.Equal(new Uri($"http://{pod.Ip}:15080"), endpoint);
        var version = await http.GetFromJsonAsync<JsonElement>(new Uri(endpoint, "/api/v1/version"), deadline.Token);
        output.WriteLine($"version: {version}");

        // The ConfigMap volume reached the sidecar as files, through the ..data symlinks a kubelet makes.
        var config = await http.GetStringAsync(new Uri(endpoint, "/api/v1/config?kind=DestinationRule"), deadline.Token);
        Assert.Contains("reviews", config, StringComparison.Ordinal);
        var listing = await pod.ExecAsync("sidecar", ["ls", "-la", "/etc/mesh"], deadline.Token);
        output.WriteLine(listing.Stdout);
        Assert.Matches(@"\.\.data -> \.\.\d{4}_\d\d_\d\d", listing.Stdout);
        Assert.Contains("reviews.yaml -> ..data/reviews.yaml", listing.Stdout, StringComparison.Ordinal);

        // One network namespace: the sidecar reaches the app on the pod's loopback, which nothing outside the pod can.
        var loopback = await pod.ExecAsync("sidecar", ["bash", "-c",
            "exec 3<>/dev/tcp/127.0.0.1/16080 && printf 'GET /api/v1/version HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"], deadline.Token);
        Assert.True(loopback.ExitCode == 0, $"the sidecar could not reach the app on 127.0.0.1:16080: {loopback.Stderr}");
        Assert.Contains("200 OK", loopback.Stdout, StringComparison.Ordinal);

        // Service names resolve to the pod in every form the cluster DNS answers.
        foreach (var name in new[] { "runner-check", "runner-check.default", "runner-check.default.svc", "runner-check.default.svc.cluster.local" })
        {
            var resolved = await pod.ExecAsync("app", ["getent", "hosts", name], deadline.Token);
            Assert.True(resolved.Stdout.StartsWith(pod.Ip + " ", StringComparison.Ordinal), $"{name} resolved to '{resolved.Stdout.Trim()}', not {pod.Ip}");
        }

        // Both containers run as the image's non-root user, the app with the downward API's pod name.
        var identity = await pod.ExecAsync("app", ["bash", "-c", "id -u; printf %s \"$POD_NAME\""], deadline.Token);
        Assert.Equal($"1654\n{pod.Identity.Name}", identity.Stdout.Trim());
    }

    [Fact(Timeout = 300_000)]
    public async Task It_refuses_what_the_kubelet_refuses()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await DockerEngine.RequireAsync([Image, PauseImage], deadline.Token);

        // The secret the env names is missing: the kubelet reports CreateContainerConfigError and never starts it.
        var noSecret = new ClusterObjects("default");
        noSecret.Add(KustomizeOutput.Parse(Objects, "the runner's own pod spec"));
        var missing = await Assert.ThrowsAsync<PodSpecRefusedException>(() => RunAsync(noSecret, "10.213.2.0/24", deadline.Token));
        output.WriteLine(missing.Message);
        Assert.Contains("CreateContainerConfigError: env Mesh__ControlPlane__BootstrapKey: secret \"runner-check-key\" not found", missing.Message, StringComparison.Ordinal);

        // runAsNonRoot with an image whose user is root (the runtime base itself, no USER): refused.
        var root = new ClusterObjects("default");
        root.Add(KustomizeOutput.Parse(Objects.Replace("image: meshdev/controlplane:latest\n        restartPolicy", $"image: {BaseImage}\n        restartPolicy", StringComparison.Ordinal), "the runner's own pod spec"));
        root.Add([Secret("runner-check-key", "key", "k")]);
        var asRoot = await Assert.ThrowsAsync<PodSpecRefusedException>(() => RunAsync(root, "10.213.3.0/24", deadline.Token));
        output.WriteLine(asRoot.Message);
        Assert.Contains("container sidecar: CreateContainerConfigError: container has runAsNonRoot and image will run as root", asRoot.Message, StringComparison.Ordinal);
    }

    /// <summary>Any MeshDev image holds a pod's network namespace (it has <c>sleep</c>).</summary>
    public const string PauseImage = "meshdev/proxy:latest";

    /// <summary>The runtime base the images were built on (test.sh's stand-in unless MESHDEV_BASE_IMAGE names one).</summary>
    private static string BaseImage => Environment.GetEnvironmentVariable("MESHDEV_BASE_IMAGE") is { Length: > 0 } image ? image : "meshdev-local/aspnet-standin:10.0";

    private static async Task RunAsync(ClusterObjects objects, string subnet, CancellationToken cancellation)
    {
        await using var cluster = await PodCluster.CreateAsync(objects, PauseImage, subnet, cancellation);
        await cluster.RunDeploymentsAsync(cancellation);
    }

    private static V1Secret Secret(string name, string key, string value) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Data = new Dictionary<string, byte[]> { [key] = Encoding.UTF8.GetBytes(value) },
    };
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerTestsCollection
{
    /// <summary>The container tests share one Docker engine on a loaded machine; they run one at a time.</summary>
    public const string Name = "Containers";
}
