using System.Text.Json;

namespace MeshDev.Core.Config.Security;

/// <summary>The shape check for a JSON Web Key Set, given inline (jwks) or fetched from jwksUri.</summary>
public static class JwksDocument
{
    /// <summary>Why <paramref name="jwks"/> is not a key set (JSON with a "keys" list of keys that name their "kty"), or null.</summary>
    public static string? Problem(string jwks)
    {
        try
        {
            using var document = JsonDocument.Parse(jwks);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                return "it has no \"keys\" list";
            }

            var index = 0;
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object || !key.TryGetProperty("kty", out var kty) || kty.ValueKind != JsonValueKind.String)
                {
                    return $"keys[{index}] has no \"kty\"";
                }

                index++;
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"not valid JSON ({e.Message.Split('.')[0]})";
        }
    }
}
