#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // The publish pipeline's step and output APIs are experimental in Aspire 13.

using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// The publish step that writes the mesh as a kustomize tree: <c>aspire publish -o &lt;dir&gt;</c>, or
/// <c>dotnet run --project &lt;AppHost&gt; -- --operation publish --step publish --output-path &lt;dir&gt;</c>.
/// </summary>
public static class KubernetesPublishing
{
    public const string StepName = "meshdev-kubernetes";

    internal static void AddStep(IDistributedApplicationBuilder builder, MeshControlPlaneResource controlPlane)
    {
        var appHostDirectory = builder.AppHostDirectory;
        var configuration = builder.Configuration;
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var options = controlPlane.KubernetesOptions.Override(configuration);
            var topology = await AppModelTopologyReader.ReadAsync(context.Model, context.ExecutionContext, appHostDirectory, context.CancellationToken)
                .ConfigureAwait(false);
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var tree = Write(topology, options, output);
            context.Logger.LogInformation("Wrote the mesh's Kubernetes objects ({Flavor} flavour, {Count} files) to {Output}.",
                options.Flavor, tree.Count, output);
            context.Summary.Add("Kubernetes", $"{output} ({options.Flavor}): kubectl apply -k {output}");
        }, dependsOn: WellKnownPipelineSteps.PublishPrereq, requiredBy: WellKnownPipelineSteps.Publish);
    }

    /// <summary>Writes <paramref name="topology"/> into <paramref name="output"/> as the options say; returns the files written.</summary>
    public static IReadOnlyList<string> Write(MeshTopology topology, KubernetesOptions options, string output)
    {
        options.Validate();
        var tree = options.Flavor == KubernetesFlavor.Istio
            ? IstioFlavorWriter.Write(topology, options)
            : MeshDevFlavorWriter.Write(topology, options);
        tree.WriteTo(output);
        return tree.Files;
    }
}
