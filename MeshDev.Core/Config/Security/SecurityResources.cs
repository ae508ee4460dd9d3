namespace MeshDev.Core.Config.Security;

public sealed class PeerAuthenticationResource : ConfigResource
{
    public const string KindName = "PeerAuthentication";
    public override string Kind => KindName;
    public required PeerAuthenticationSpec Spec { get; init; }
}

public sealed class AuthorizationPolicyResource : ConfigResource
{
    public const string KindName = "AuthorizationPolicy";
    public override string Kind => KindName;
    public required AuthorizationPolicySpec Spec { get; init; }
}

public sealed class RequestAuthenticationResource : ConfigResource
{
    public const string KindName = "RequestAuthentication";
    public override string Kind => KindName;
    public required RequestAuthenticationSpec Spec { get; init; }
}

/// <summary>Where Istio's security policies apply.</summary>
public static class SecurityScopes
{
    /// <summary>Istio's default root namespace: its selector-less policies apply to the whole mesh.</summary>
    public const string RootNamespace = "istio-system";
}
