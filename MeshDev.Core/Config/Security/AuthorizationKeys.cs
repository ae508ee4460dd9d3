namespace MeshDev.Core.Config.Security;

/// <summary>The attribute names an AuthorizationPolicy's when[].key may use, as Istio defines them.</summary>
public static class AuthorizationKeys
{
    public const string RequestHeaders = "request.headers";
    public const string SourceIp = "source.ip";
    public const string RemoteIp = "remote.ip";
    public const string SourceNamespace = "source.namespace";
    public const string SourceServiceAccount = "source.serviceAccount";
    public const string SourcePrincipal = "source.principal";
    public const string RequestPrincipal = "request.auth.principal";
    public const string RequestAudiences = "request.auth.audiences";
    public const string RequestPresenter = "request.auth.presenter";
    public const string RequestClaims = "request.auth.claims";
    public const string DestinationIp = "destination.ip";
    public const string DestinationPort = "destination.port";
    public const string ConnectionSni = "connection.sni";

    public static readonly IReadOnlyList<string> Supported =
    [
        $"{RequestHeaders}[<name>]", SourceIp, RemoteIp, SourceNamespace, SourceServiceAccount, SourcePrincipal, RequestPrincipal,
        RequestAudiences, RequestPresenter, $"{RequestClaims}[<name>]", DestinationIp, DestinationPort, ConnectionSni,
    ];

    /// <summary>
    /// The bracketed names of a key such as request.headers[x-token] or request.auth.claims[a][b] (nested claims),
    /// or null when the key is not in that form.
    /// </summary>
    public static IReadOnlyList<string>? MapKeys(string key, string prefix)
    {
        if (!key.StartsWith(prefix + "[", StringComparison.Ordinal) || !key.EndsWith(']'))
        {
            return null;
        }

        var names = key[(prefix.Length + 1)..^1].Split("][");
        return names.Any(n => n.Length == 0 || n.Contains('[') || n.Contains(']')) ? null : names;
    }
}
