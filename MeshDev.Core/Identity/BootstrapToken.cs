using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MeshDev.Core.Identity;

/// <summary>
/// The credential a proxy shows the certificate authority to prove which workload identity it may have a certificate
/// for. The AppHost mints one per proxy with the mesh's bootstrap key, without talking to the control plane; the CA
/// verifies it with the same key. Form: <c>base64url(payload).base64url(HMAC-SHA256(key, payload))</c> where the
/// payload is the JSON <c>{"td":…,"ns":…,"sa":…}</c>. A token names one identity and nothing else: it does not
/// expire on its own; it stops working when the bootstrap key changes (a new AppHost run makes a new key).
/// </summary>
public static class BootstrapToken
{
    /// <summary>Shorter keys are refused: the key is the only thing between a process and any identity's certificate.</summary>
    public const int MinimumKeyLength = 16;

    public static string Mint(string bootstrapKey, SpiffeId identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var key = KeyBytes(bootstrapKey);
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new Payload(identity.TrustDomain, identity.Namespace, identity.ServiceAccount), PayloadJson.Default.Payload);
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(HMACSHA256.HashData(key, payload))}";
    }

    /// <summary>
    /// Checks the token's signature (in constant time) and reads the identity it proves. <paramref name="error"/>
    /// says what is wrong without repeating the token.
    /// </summary>
    public static bool TryVerify(string bootstrapKey, string? token, [NotNullWhen(true)] out SpiffeId? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        var key = KeyBytes(bootstrapKey);
        if (string.IsNullOrEmpty(token))
        {
            error = "no bootstrap token was given";
            return false;
        }

        var dot = token.IndexOf('.');
        if (dot <= 0 || dot == token.Length - 1 || token.IndexOf('.', dot + 1) >= 0)
        {
            error = "the bootstrap token is not of the form <payload>.<signature>";
            return false;
        }

        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            error = "the bootstrap token is not base64url";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), signature))
        {
            error = "the bootstrap token's signature does not match this mesh's bootstrap key (minted by another AppHost run, or altered)";
            return false;
        }

        Payload? claims;
        try
        {
            claims = JsonSerializer.Deserialize(payload, PayloadJson.Default.Payload);
        }
        catch (JsonException)
        {
            claims = null;
        }

        var uri = claims is null ? null : $"{SpiffeId.Scheme}{claims.Td}/ns/{claims.Ns}/sa/{claims.Sa}";
        if (!SpiffeId.TryParse(uri, out identity))
        {
            error = "the bootstrap token is signed but does not name a trust domain, namespace and service account";
            return false;
        }

        error = null;
        return true;
    }

    private static byte[] KeyBytes(string bootstrapKey)
    {
        if (string.IsNullOrEmpty(bootstrapKey) || bootstrapKey.Length < MinimumKeyLength)
        {
            throw new ArgumentException($"A bootstrap key has at least {MinimumKeyLength} characters.", nameof(bootstrapKey));
        }

        return Encoding.UTF8.GetBytes(bootstrapKey);
    }

    internal sealed record Payload(string Td, string Ns, string Sa);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(BootstrapToken.Payload))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class PayloadJson : System.Text.Json.Serialization.JsonSerializerContext;
