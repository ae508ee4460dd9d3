namespace MeshDev.Core.Config.Security;

// Istio's PeerAuthentication (security.istio.io), field for field as Istio names them.

public sealed class PeerAuthenticationSpec
{
    public WorkloadSelectorSpec? Selector { get; init; }
    public MtlsSpec? Mtls { get; init; }

    /// <summary>Keyed as written (a port number); the validator checks that each key is one.</summary>
    public IReadOnlyDictionary<string, MtlsSpec> PortLevelMtls { get; init; } = new Dictionary<string, MtlsSpec>();

    /// <summary>portLevelMtls was written but holds no entry (Istio refuses that).</summary>
    public bool PortLevelMtlsGivenEmpty { get; init; }

    internal static PeerAuthenticationSpec Read(YamlSpecReader r) => new()
    {
        Selector = r.Object("selector", WorkloadSelectorSpec.Read),
        Mtls = r.Object("mtls", MtlsSpec.Read),
        PortLevelMtlsGivenEmpty = r.Node("portLevelMtls") is YamlDotNet.RepresentationModel.YamlMappingNode { Children.Count: 0 },
        PortLevelMtls = r.ObjectMap("portLevelMtls", MtlsSpec.Read),
    };
}

public sealed class MtlsSpec
{
    public static readonly IReadOnlyList<string> Modes = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"];

    /// <summary>UNSET, DISABLE, PERMISSIVE or STRICT; absent means UNSET (inherit from the parent scope).</summary>
    public string? Mode { get; init; }

    internal static MtlsSpec Read(YamlSpecReader r) => new() { Mode = r.String("mode") };
}
