using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Core.Config.Security;

// Istio's AuthorizationPolicy (security.istio.io), field for field as Istio names them.

public sealed class AuthorizationPolicySpec
{
    public static readonly IReadOnlyList<string> Actions = ["ALLOW", "DENY", "AUDIT", "CUSTOM"];

    public WorkloadSelectorSpec? Selector { get; init; }
    public JsonNode? TargetRef { get; init; }
    public JsonNode? TargetRefs { get; init; }
    public IReadOnlyList<RuleSpec> Rules { get; init; } = [];

    /// <summary>ALLOW when absent, as in Istio.</summary>
    public string? Action { get; init; }
    public JsonNode? Provider { get; init; }

    public string EffectiveAction => Action ?? "ALLOW";

    internal static AuthorizationPolicySpec Read(YamlSpecReader r) => new()
    {
        Selector = r.Object("selector", WorkloadSelectorSpec.Read),
        TargetRef = r.Raw("targetRef"),
        TargetRefs = r.Raw("targetRefs"),
        Rules = r.List("rules", RuleSpec.Read),
        Action = r.String("action"),
        Provider = r.Raw("provider"),
    };
}

/// <summary>Every from (ORed) and every to (ORed) and every when (ANDed) must match.</summary>
public sealed class RuleSpec
{
    public IReadOnlyList<RuleFromSpec> From { get; init; } = [];
    public IReadOnlyList<RuleToSpec> To { get; init; } = [];
    public IReadOnlyList<ConditionSpec> When { get; init; } = [];

    /// <summary>from: [] or to: [] written explicitly (Istio refuses an empty list there).</summary>
    public bool FromGivenEmpty { get; init; }
    public bool ToGivenEmpty { get; init; }

    internal static RuleSpec Read(YamlSpecReader r) => new()
    {
        FromGivenEmpty = r.Node("from") is YamlSequenceNode { Children.Count: 0 },
        From = r.List("from", RuleFromSpec.Read),
        ToGivenEmpty = r.Node("to") is YamlSequenceNode { Children.Count: 0 },
        To = r.List("to", RuleToSpec.Read),
        When = r.List("when", ConditionSpec.Read),
    };
}

public sealed class RuleFromSpec
{
    public SourceSpec? Source { get; init; }

    internal static RuleFromSpec Read(YamlSpecReader r) => new() { Source = r.Object("source", SourceSpec.Read) };
}

public sealed class RuleToSpec
{
    public OperationSpec? Operation { get; init; }

    internal static RuleToSpec Read(YamlSpecReader r) => new() { Operation = r.Object("operation", OperationSpec.Read) };
}

public sealed class SourceSpec
{
    public IReadOnlyList<string> Principals { get; init; } = [];
    public IReadOnlyList<string> NotPrincipals { get; init; } = [];
    public IReadOnlyList<string> RequestPrincipals { get; init; } = [];
    public IReadOnlyList<string> NotRequestPrincipals { get; init; } = [];
    public IReadOnlyList<string> Namespaces { get; init; } = [];
    public IReadOnlyList<string> NotNamespaces { get; init; } = [];
    public IReadOnlyList<string> ServiceAccounts { get; init; } = [];
    public IReadOnlyList<string> NotServiceAccounts { get; init; } = [];
    public IReadOnlyList<string> IpBlocks { get; init; } = [];
    public IReadOnlyList<string> NotIpBlocks { get; init; } = [];
    public IReadOnlyList<string> RemoteIpBlocks { get; init; } = [];
    public IReadOnlyList<string> NotRemoteIpBlocks { get; init; } = [];
    public IReadOnlyList<string> TrustDomains { get; init; } = [];
    public IReadOnlyList<string> NotTrustDomains { get; init; } = [];

    /// <summary>Every list by its Istio field name, for checks that treat them alike.</summary>
    public IEnumerable<(string Field, IReadOnlyList<string> Values)> Fields =>
    [
        ("principals", Principals), ("notPrincipals", NotPrincipals),
        ("requestPrincipals", RequestPrincipals), ("notRequestPrincipals", NotRequestPrincipals),
        ("namespaces", Namespaces), ("notNamespaces", NotNamespaces),
        ("serviceAccounts", ServiceAccounts), ("notServiceAccounts", NotServiceAccounts),
        ("ipBlocks", IpBlocks), ("notIpBlocks", NotIpBlocks),
        ("remoteIpBlocks", RemoteIpBlocks), ("notRemoteIpBlocks", NotRemoteIpBlocks),
        ("trustDomains", TrustDomains), ("notTrustDomains", NotTrustDomains),
    ];

    internal static SourceSpec Read(YamlSpecReader r) => new()
    {
        Principals = r.StringList("principals"),
        NotPrincipals = r.StringList("notPrincipals"),
        RequestPrincipals = r.StringList("requestPrincipals"),
        NotRequestPrincipals = r.StringList("notRequestPrincipals"),
        Namespaces = r.StringList("namespaces"),
        NotNamespaces = r.StringList("notNamespaces"),
        ServiceAccounts = r.StringList("serviceAccounts"),
        NotServiceAccounts = r.StringList("notServiceAccounts"),
        IpBlocks = r.StringList("ipBlocks"),
        NotIpBlocks = r.StringList("notIpBlocks"),
        RemoteIpBlocks = r.StringList("remoteIpBlocks"),
        NotRemoteIpBlocks = r.StringList("notRemoteIpBlocks"),
        TrustDomains = r.StringList("trustDomains"),
        NotTrustDomains = r.StringList("notTrustDomains"),
    };
}

public sealed class OperationSpec
{
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public IReadOnlyList<string> NotHosts { get; init; } = [];
    public IReadOnlyList<string> Ports { get; init; } = [];
    public IReadOnlyList<string> NotPorts { get; init; } = [];
    public IReadOnlyList<string> Methods { get; init; } = [];
    public IReadOnlyList<string> NotMethods { get; init; } = [];
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> NotPaths { get; init; } = [];

    public IEnumerable<(string Field, IReadOnlyList<string> Values)> Fields =>
    [
        ("hosts", Hosts), ("notHosts", NotHosts), ("ports", Ports), ("notPorts", NotPorts),
        ("methods", Methods), ("notMethods", NotMethods), ("paths", Paths), ("notPaths", NotPaths),
    ];

    internal static OperationSpec Read(YamlSpecReader r) => new()
    {
        Hosts = r.StringList("hosts"),
        NotHosts = r.StringList("notHosts"),
        Ports = r.StringList("ports"),
        NotPorts = r.StringList("notPorts"),
        Methods = r.StringList("methods"),
        NotMethods = r.StringList("notMethods"),
        Paths = r.StringList("paths"),
        NotPaths = r.StringList("notPaths"),
    };
}

public sealed class ConditionSpec
{
    public string? Key { get; init; }
    public IReadOnlyList<string> Values { get; init; } = [];
    public IReadOnlyList<string> NotValues { get; init; } = [];

    internal static ConditionSpec Read(YamlSpecReader r) => new()
    {
        Key = r.String("key"),
        Values = r.StringList("values"),
        NotValues = r.StringList("notValues"),
    };
}
