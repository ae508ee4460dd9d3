using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MeshDev.Tests.Security;

/// <summary>A JWT issuer made for one test: its own RSA or EC key, its JSON Web Key Set, and tokens it signs.</summary>
public sealed class TestIssuer : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly SigningCredentials _credentials;

    private TestIssuer(string issuer, AsymmetricAlgorithm key, SecurityKey securityKey, string algorithm, object jwk)
    {
        Issuer = issuer;
        _key = key;
        _credentials = new SigningCredentials(securityKey, algorithm);
        Jwks = JsonSerializer.Serialize(new { keys = new[] { jwk } });
    }

    public string Issuer { get; }

    /// <summary>The public key set, as jwks or a jwksUri serves it.</summary>
    public string Jwks { get; }

    public static TestIssuer Rsa(string issuer, string keyId = "rsa-1")
    {
        var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);
        return new TestIssuer(issuer, rsa, new RsaSecurityKey(rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256, new
        {
            kty = "RSA", kid = keyId, alg = "RS256", use = "sig",
            n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
        });
    }

    public static TestIssuer EllipticCurve(string issuer, string keyId = "ec-1")
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ec.ExportParameters(false);
        return new TestIssuer(issuer, ec, new ECDsaSecurityKey(ec) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256, new
        {
            kty = "EC", kid = keyId, crv = "P-256", alg = "ES256", use = "sig",
            x = Base64UrlEncoder.Encode(parameters.Q.X), y = Base64UrlEncoder.Encode(parameters.Q.Y),
        });
    }

    /// <param name="expires">Default: in an hour.</param>
    public string Token(string subject, string? audience = null, DateTime? expires = null, IDictionary<string, object>? claims = null, string? issuer = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = (expires ?? now.AddHours(1)) < now ? expires!.Value.AddHours(-1) : now,
            NotBefore = (expires ?? now.AddHours(1)) < now ? expires!.Value.AddHours(-1) : now,
            Expires = expires ?? now.AddHours(1),
            Claims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject },
            SigningCredentials = _credentials,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
