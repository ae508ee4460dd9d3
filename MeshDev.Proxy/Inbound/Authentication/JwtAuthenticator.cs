using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MeshDev.Proxy.Inbound.Authentication;

/// <summary>What JWT authentication decided: no token (allowed, no identity), a verified identity, or a rejection.</summary>
public sealed record JwtOutcome(RequestIdentity? Identity, string? Failure)
{
    public static readonly JwtOutcome NoToken = new(null, null);

    public bool Rejected => Failure is not null;
}

/// <summary>
/// RequestAuthentication's check, in Envoy's jwt_authn manner: every token found at a rule's locations must be
/// signed by its issuer's keys, be within its lifetime and (when the rule names audiences) be meant for one of them.
/// A request without a token passes with no identity; one with a bad token is rejected. After a success the token
/// is removed from its header unless forwardOriginalToken is set, and the payload is copied to
/// outputPayloadToHeader. Failures are described without the token, which is a credential.
/// </summary>
public sealed class JwtAuthenticator
{
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly CompiledJwtRule[] _rules;

    public JwtAuthenticator(IEnumerable<CompiledJwtRule> rules) => _rules = rules.ToArray();

    public static readonly JwtAuthenticator Empty = new([]);

    public bool HasRules => _rules.Length > 0;

    public IReadOnlyList<CompiledJwtRule> Rules => _rules;

    public async Task<JwtOutcome> AuthenticateAsync(HttpContext context)
    {
        var found = new List<(CompiledJwtRule Rule, TokenLocation Location, string Token)>();
        foreach (var rule in _rules)
        {
            foreach (var location in rule.Locations)
            {
                if (Extract(context.Request, location) is { } token)
                {
                    found.Add((rule, location, token));
                }
            }
        }

        if (found.Count == 0)
        {
            return JwtOutcome.NoToken;
        }

        RequestIdentity? identity = null;
        var verified = new List<(CompiledJwtRule Rule, TokenLocation Location, JsonWebToken Token)>();
        foreach (var token in found.Select(f => f.Token).Distinct(StringComparer.Ordinal))
        {
            var issuer = UnverifiedIssuer(token);
            if (issuer is null)
            {
                return new JwtOutcome(null, "the token is not a well-formed JWT");
            }

            var candidates = found.Where(f => f.Token == token).ToList();
            var match = candidates.FirstOrDefault(c => c.Rule.Issuer == issuer);
            if (match.Rule is null)
            {
                return new JwtOutcome(null, $"issuer '{issuer}' is not configured for the token's location ({candidates[0].Location})");
            }

            if (!match.Rule.HasKeys)
            {
                return new JwtOutcome(null, $"no signing keys for issuer '{issuer}' ({match.Rule.Source}); the key set is missing or could not be fetched");
            }

            var result = await Handler.ValidateTokenAsync(token, match.Rule.Parameters);
            if (!result.IsValid)
            {
                return new JwtOutcome(null, $"{Describe(result.Exception)} (issuer '{issuer}', {match.Rule.Source})");
            }

            var jwt = (JsonWebToken)result.SecurityToken;
            identity ??= new RequestIdentity(Payload(jwt));
            verified.Add((match.Rule, match.Location, jwt));
        }

        foreach (var (rule, location, jwt) in verified)
        {
            if (!rule.ForwardOriginalToken && location.Header is { } header)
            {
                context.Request.Headers.Remove(header);
            }

            if (rule.OutputPayloadToHeader is { } output)
            {
                context.Request.Headers[output] = jwt.EncodedPayload;
            }
        }

        return new JwtOutcome(identity, null);
    }

    private static string? Extract(HttpRequest request, TokenLocation location)
    {
        if (location.Header is { } header)
        {
            var value = request.Headers[header].ToString();
            return value.Length > location.Prefix.Length && value.StartsWith(location.Prefix, StringComparison.OrdinalIgnoreCase)
                ? value[location.Prefix.Length..].Trim()
                : null;
        }

        return request.Query[location.Param!].ToString() is { Length: > 0 } param ? param : null;
    }

    private static string? UnverifiedIssuer(string token)
    {
        try
        {
            return Handler.CanReadToken(token) ? new JsonWebToken(token).Issuer : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static JsonElement Payload(JsonWebToken token)
    {
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
        return document.RootElement.Clone();
    }

    /// <summary>Envoy's wording for the common failures; IdentityModel's messages may quote the token.</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "Jwt is expired",
        SecurityTokenNotYetValidException => "Jwt not yet valid",
        SecurityTokenInvalidAudienceException => "Audiences in Jwt are not allowed",
        SecurityTokenInvalidIssuerException => "Jwt issuer is not configured",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "Jwt verification fails: bad signature",
        SecurityTokenMalformedException => "Jwt is not in the form of Header.Payload.Signature",
        _ => "Jwt verification fails",
    };
}
