using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Core;
using MeshDev.Core.Identity;

namespace MeshDev.Hosting;

/// <summary>
/// A proxy's workload identity and the bootstrap token that proves it to the control plane's CA. The AppHost mints
/// each proxy a token for its own identity only, with the mesh's bootstrap key, when the proxy starts.
/// </summary>
internal static partial class MeshIdentity
{
    public static SpiffeId For(MeshControlPlaneResource controlPlane, string @namespace, string serviceAccount, string resourceName)
    {
        // Kubernetes' rule for service account and namespace names, so the same identities hold on a cluster.
        foreach (var (what, value) in new[] { ("service account", serviceAccount), ("namespace", @namespace) })
        {
            if (!DnsSubdomain().IsMatch(value))
            {
                throw new DistributedApplicationException(
                    $"'{resourceName}': {what} '{value}' is not a valid name; use lowercase letters, digits, '-' and '.', " +
                    "starting and ending with a letter or digit (at most 253 characters).");
            }
        }

        return new SpiffeId(controlPlane.TrustDomain, @namespace, serviceAccount);
    }

    /// <summary>
    /// Sets the proxy's service account and, when the app runs, its bootstrap token. Publishing writes no token
    /// (it would be a credential in a file); the manifest entry says instead how to mint one, see <see cref="MeshManifest"/>.
    /// </summary>
    public static async Task AddEnvironmentAsync(EnvironmentCallbackContext context, MeshControlPlaneResource controlPlane, SpiffeId identity)
    {
        var env = context.EnvironmentVariables;
        env[MeshEnvironment.ToEnvironmentVariable(MeshEnvironment.Proxy.ServiceAccount)] = identity.ServiceAccount;
        if (context.ExecutionContext.IsRunMode)
        {
            var key = await controlPlane.BootstrapKey.GetValueAsync(context.CancellationToken).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"The mesh's bootstrap key parameter '{controlPlane.BootstrapKey.Name}' has no value.");
            env[MeshEnvironment.ToEnvironmentVariable(MeshEnvironment.Proxy.IdentityToken)] = BootstrapToken.Mint(key, identity);
        }
    }

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();
}
