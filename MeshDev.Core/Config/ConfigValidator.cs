using MeshDev.Core.Config.Networking;
using MeshDev.Core.Config.Security;

namespace MeshDev.Core.Config;

/// <summary>
/// Checks a whole config (every resource that would be in force together), as <c>istioctl analyze</c> does, and
/// refuses by name every Istio field that MeshDev reads but does not carry out yet: a field that is silently
/// ignored would make a developer believe a policy is in force when it is not. Each kind has its own validator
/// (Networking/ for VirtualService, DestinationRule and Gateway, Security/ for the security kinds); they all write
/// into one report, resource by resource in the config's order.
/// </summary>
public static class ConfigValidator
{
    public const string NotSupported = "not supported by MeshDev yet";

    /// <param name="config">Every resource in force together, in creation order.</param>
    /// <param name="knownServices">Names of the mesh services config may route to.</param>
    /// <param name="servicePorts">The service port of each service whose port is known (a registered sidecar told it).</param>
    /// <param name="protocols">The protocol of each service whose protocol is known (a registered sidecar told it).</param>
    public static IReadOnlyList<ConfigMessage> Validate(
        IReadOnlyList<ConfigResource> config,
        IReadOnlySet<string> knownServices,
        IReadOnlyDictionary<string, uint>? servicePorts = null,
        IReadOnlyDictionary<string, Discovery.ServiceProtocol>? protocols = null)
    {
        var report = new ConfigReport();
        var services = new MeshServices(knownServices, servicePorts, protocols);
        var virtualServices = new VirtualServiceValidator(report, config, services);
        var destinationRules = new DestinationRuleValidator(report, services);
        var gateways = new GatewayValidator(report);

        DuplicateResources.Check(config, report);
        foreach (var resource in config)
        {
            switch (resource)
            {
                case VirtualServiceResource vs:
                    virtualServices.Check(vs);
                    break;
                case DestinationRuleResource dr:
                    destinationRules.Check(dr);
                    break;
                case GatewayResource gw:
                    gateways.Check(gw);
                    break;
            }
        }

        SecurityValidator.Validate(config, report);
        return report.Messages;
    }
}
