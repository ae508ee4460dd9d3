using System.Buffers.Text;
using System.Text;
using MeshDev.Core.Identity;

namespace MeshDev.Tests.Identity;

public sealed class BootstrapTokenTests
{
    private const string Key = "bootstrap-key-for-tests-0123456789";
    private static readonly SpiffeId Reviews = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bookinfo-reviews");

    [Fact]
    public void A_minted_token_proves_its_identity_to_the_same_key_only()
    {
        var token = BootstrapToken.Mint(Key, Reviews);

        Assert.True(BootstrapToken.TryVerify(Key, token, out var identity, out var error), error);
        Assert.Equal(Reviews, identity);
        Assert.False(BootstrapToken.TryVerify("another-key-0123456789abcdef", token, out _, out error));
        Assert.Contains("signature", error);
        // The payload is readable JSON naming the identity, and nothing secret.
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.Split('.')[0]));
        Assert.Equal("""{"td":"cluster.local","ns":"default","sa":"bookinfo-reviews"}""", payload);
    }

    [Theory]
    [InlineData(null, "no bootstrap token")]
    [InlineData("", "no bootstrap token")]
    [InlineData("abc", "<payload>.<signature>")]
    [InlineData("a.b.c", "<payload>.<signature>")]
    [InlineData("!!.??", "base64url")]
    public void Malformed_tokens_are_refused_saying_why(string? token, string expected)
    {
        Assert.False(BootstrapToken.TryVerify(Key, token, out var identity, out var error));
        Assert.Null(identity);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_payload_changed_after_minting_is_refused()
    {
        var token = BootstrapToken.Mint(Key, Reviews);
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""{"td":"cluster.local","ns":"default","sa":"bookinfo-ratings"}"""));

        Assert.False(BootstrapToken.TryVerify(Key, forged + "." + token.Split('.')[1], out _, out var error));
        Assert.Contains("signature", error);
    }

    [Fact]
    public void A_short_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => BootstrapToken.Mint("short", Reviews));
    }
}
