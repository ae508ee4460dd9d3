using System.Diagnostics;
using k8s;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>
/// The objects a kustomize tree renders to, as <c>kubectl apply -k</c> would send them: rendered by <c>kubectl
/// kustomize</c> and read with KubernetesClient's strict reader, so an unknown field or a wrong type fails here
/// rather than being dropped.
/// </summary>
public static class KustomizeOutput
{
    public static async Task<IReadOnlyList<object>> RenderAsync(string directory, CancellationToken cancellation = default)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kubectl = Process.Start(start) ?? throw new InvalidOperationException("could not start kubectl");
        var output = kubectl.StandardOutput.ReadToEndAsync(cancellation);
        var error = kubectl.StandardError.ReadToEndAsync(cancellation);
        await kubectl.WaitForExitAsync(cancellation);
        if (kubectl.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {directory} exited with {kubectl.ExitCode}: {await error}");
        }

        return Parse(await output, $"kubectl kustomize {directory}");
    }

    public static IReadOnlyList<object> Parse(string yaml, string source)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{source}: the strict Kubernetes reader refused the output: {e.Message}", e);
        }
    }

    /// <summary>The repository's folder of a generated kustomize tree, e.g. <c>deploy/bookinfo/meshdev</c>.</summary>
    public static string InRepository(string relativePath) => Path.Combine(Repository.Root(), relativePath);
}
