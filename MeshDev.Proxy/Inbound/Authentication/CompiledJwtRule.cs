using MeshDev.Core.Discovery;
using Microsoft.IdentityModel.Tokens;

namespace MeshDev.Proxy.Inbound.Authentication;

/// <summary>Where a token may be: a header (its value after a prefix such as "Bearer ") or a query parameter.</summary>
public sealed record TokenLocation(string? Header, string Prefix, string? Param)
{
    public override string ToString() => Header is not null ? $"header {Header}" : $"query parameter {Param}";
}

/// <summary>
/// One jwtRule ready to verify tokens: its issuer, audiences, signing keys and token locations. Without fromHeaders
/// and fromParams a token is looked for where Envoy looks by default: "Authorization: Bearer" and access_token.
/// A key set that is missing or unreadable leaves the rule without keys, so its tokens fail verification.
/// </summary>
public sealed class CompiledJwtRule
{
    private static readonly TokenLocation[] DefaultLocations = [new("Authorization", "Bearer ", null), new(null, "", "access_token")];

    private CompiledJwtRule(JwtRule rule, IList<SecurityKey> keys, TokenLocation[] locations)
    {
        Issuer = rule.Issuer;
        Source = rule.Source;
        JwksUri = rule.JwksUri.Length == 0 ? null : rule.JwksUri;
        KeyCount = keys.Count;
        Locations = locations;
        ForwardOriginalToken = rule.ForwardOriginalToken;
        OutputPayloadToHeader = rule.OutputPayloadToHeader.Length == 0 ? null : rule.OutputPayloadToHeader;
        Parameters = new TokenValidationParameters
        {
            ValidIssuer = rule.Issuer,
            ValidateAudience = rule.Audiences.Count > 0,
            ValidAudiences = rule.Audiences.ToArray(),
            IssuerSigningKeys = keys,
            ValidateIssuerSigningKey = false,
            RequireSignedTokens = true,
            // Envoy accepts tokens without exp and allows 60 s of clock skew.
            RequireExpirationTime = false,
            ClockSkew = TimeSpan.FromSeconds(60),
        };
    }

    public string Issuer { get; }

    /// <summary>"&lt;namespace&gt;/&lt;RequestAuthentication name&gt;".</summary>
    public string Source { get; }
    public IReadOnlyList<TokenLocation> Locations { get; }
    public bool ForwardOriginalToken { get; }
    public string? OutputPayloadToHeader { get; }
    public bool HasKeys => KeyCount > 0;

    /// <summary>Where the control plane fetched the keys from; null when they were given inline.</summary>
    public string? JwksUri { get; }
    public int KeyCount { get; }
    public TokenValidationParameters Parameters { get; }

    public static CompiledJwtRule Compile(JwtRule rule)
    {
        var locations = rule.FromHeaders.Count == 0 && rule.FromParams.Count == 0
            ? DefaultLocations
            : rule.FromHeaders.Select(h => new TokenLocation(h.Name, h.Prefix, null))
                .Concat(rule.FromParams.Select(p => new TokenLocation(null, "", p)))
                .ToArray();
        return new CompiledJwtRule(rule, SigningKeys(rule.Jwks), locations);
    }

    private static IList<SecurityKey> SigningKeys(string jwks)
    {
        if (string.IsNullOrWhiteSpace(jwks))
        {
            return [];
        }

        try
        {
            return new JsonWebKeySet(jwks).GetSigningKeys();
        }
        catch (ArgumentException)
        {
            return [];
        }
    }
}
