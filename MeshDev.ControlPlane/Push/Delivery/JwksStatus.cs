using MeshDev.ControlPlane.Config;
using MeshDev.Core.Config;
using MeshDev.Core.Config.Security;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>
/// The status of the RequestAuthentications in force: a warning on each jwksUri the control plane could not fetch,
/// located at its field, as Istio reports it on the resource.
/// </summary>
public static class JwksStatus
{
    public static IReadOnlyList<ConfigMessage> Messages(MeshConfig config, JwksCache cache)
    {
        var messages = new List<ConfigMessage>();
        foreach (var policy in config.OfKind<RequestAuthenticationResource>())
        {
            for (var i = 0; i < policy.Spec.JwtRules.Count; i++)
            {
                var rule = policy.Spec.JwtRules[i];
                if (rule.JwksUri is not { } uri || cache.Get(uri, rule.Timeout) is not { Error: { } error })
                {
                    continue;
                }

                var field = $"spec.jwtRules[{i}].jwksUri";
                var (line, column) = policy.Locate(field);
                messages.Add(new ConfigMessage(policy.Source, line, column, policy.Kind, policy.Metadata.Namespace, policy.Metadata.Name, field,
                    $"the JSON Web Key Set could not be fetched ({error}); tokens issued by '{rule.Issuer}' fail verification (401) until it can be.",
                    ConfigSeverity.Warning));
            }
        }

        return messages;
    }
}
