using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;

namespace MeshDev.Hosting;

/// <summary>
/// Hands a run's API token to the two clients that need it, the way Aspire hands its dashboard's login token out:
/// meshctl reads <c>.meshdev/api-token</c> beside the AppHost (owner-only, rewritten each run), and the control plane's
/// "Mesh dashboard" link in the Aspire dashboard carries <c>/login?t=&lt;token&gt;</c>.
/// </summary>
internal static class MeshApiTokenFile
{
    public static void Subscribe(IDistributedApplicationBuilder builder, MeshControlPlaneResource controlPlane)
    {
        var appHostDirectory = builder.AppHostDirectory;
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(controlPlane, async (_, cancellationToken) =>
        {
            if (controlPlane.ApiToken is { } parameter && await parameter.GetValueAsync(cancellationToken) is { Length: > 0 } token)
            {
                Write(Path.Combine(appHostDirectory, MeshControlPlaneResource.ApiTokenFile), token);
            }
        });
    }

    /// <summary>The dashboard's link logs its user in; the API token in it is the run's, useless after the run.</summary>
    public static async Task DashboardLoginUrlAsync(ResourceUrlsCallbackContext context, MeshControlPlaneResource controlPlane)
    {
        var token = controlPlane.ApiToken is { } parameter ? await parameter.GetValueAsync(context.CancellationToken) : null;
        foreach (var url in context.Urls)
        {
            if (url.Endpoint?.EndpointName == MeshControlPlaneResource.HttpEndpointName)
            {
                url.DisplayText = "Mesh dashboard";
                if (token is { Length: > 0 })
                {
                    url.Url = new Uri(new Uri(url.Url), $"/login?t={Uri.EscapeDataString(token)}").ToString();
                }
            }
        }
    }

    /// <summary>Written to a new owner-only file and renamed into place: the token is never readable by others, not even briefly.</summary>
    private static void Write(string file, string token)
    {
        var folder = Path.GetDirectoryName(file)!;
        OwnerOnlyFiles.CreateFolder(folder);

        // The folder sits beside the AppHost, usually in a repository: nothing in it is ever committed.
        var gitignore = Path.Combine(folder, ".gitignore");
        if (!File.Exists(gitignore))
        {
            File.WriteAllText(gitignore, "# MeshDev's local state: tokens and keys, never committed.\n*\n");
        }

        OwnerOnlyFiles.WriteReplacing(file, token);
    }
}
