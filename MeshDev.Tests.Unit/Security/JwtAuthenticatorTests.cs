using System.Text;
using System.Text.Json;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Inbound.Authentication;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Tests.Security;

/// <summary>RequestAuthentication's JWT check with keys made in the test, RSA and EC.</summary>
public sealed class JwtAuthenticatorTests
{
    private const string Iss = "testing@secure.istio.io";

    // Made once: an RSA key takes a while to generate, and every test only reads these.
    private static readonly TestIssuer SharedRsa = TestIssuer.Rsa(Iss);
    private static readonly TestIssuer SharedEc = TestIssuer.EllipticCurve("https://ec.example.com");

    private readonly TestIssuer _rsa = SharedRsa;
    private readonly TestIssuer _ec = SharedEc;

    private static JwtRule Rule(TestIssuer issuer, Action<JwtRule>? configure = null)
    {
        var rule = new JwtRule { Issuer = issuer.Issuer, Jwks = issuer.Jwks, Source = "default/jwt" };
        configure?.Invoke(rule);
        return rule;
    }

    private static JwtAuthenticator Authenticator(params JwtRule[] rules) => new(rules.Select(CompiledJwtRule.Compile));

    private static DefaultHttpContext Request(string? bearer = null, string? query = null, Dictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext();
        if (bearer is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {bearer}";
        }

        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        foreach (var (name, value) in headers ?? [])
        {
            context.Request.Headers[name] = value;
        }

        return context;
    }

    [Fact]
    public async Task ValidRsaToken_GivesTheRequestPrincipalAndClaims_AndIsRemovedBeforeTheApp()
    {
        var context = Request(bearer: _rsa.Token("alice", claims: new Dictionary<string, object> { ["groups"] = new[] { "admins" } }));

        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(context);

        Assert.False(outcome.Rejected);
        Assert.Equal($"{Iss}/alice", outcome.Identity!.Principal);
        Assert.Equal(["admins"], outcome.Identity.Claim(["groups"]));
        Assert.False(context.Request.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task ValidEcToken_IsAccepted()
    {
        var outcome = await Authenticator(Rule(_rsa), Rule(_ec)).AuthenticateAsync(Request(bearer: _ec.Token("bob")));

        Assert.Equal("https://ec.example.com/bob", outcome.Identity!.Principal);
    }

    [Fact]
    public async Task NoToken_PassesWithoutIdentity()
    {
        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request());

        Assert.False(outcome.Rejected);
        Assert.Null(outcome.Identity);
    }

    [Fact]
    public async Task ExpiredToken_IsRejected_AndTheReasonNeverQuotesTheToken()
    {
        var token = _rsa.Token("alice", expires: DateTime.UtcNow.AddMinutes(-5));

        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(bearer: token));

        Assert.True(outcome.Rejected);
        Assert.Contains("expired", outcome.Failure);
        Assert.DoesNotContain(token.Split('.')[1], outcome.Failure);
    }

    [Fact]
    public async Task TokenWithinEnvoysClockSkew_IsAccepted()
    {
        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(bearer: _rsa.Token("alice", expires: DateTime.UtcNow.AddSeconds(-20))));

        Assert.False(outcome.Rejected);
    }

    [Fact]
    public async Task WrongIssuer_IsRejected()
    {
        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(bearer: _rsa.Token("alice", issuer: "someone-else")));

        Assert.True(outcome.Rejected);
        Assert.Contains("issuer 'someone-else' is not configured", outcome.Failure);
    }

    [Fact]
    public async Task TokenSignedByAnotherKey_IsRejected()
    {
        using var impostor = TestIssuer.Rsa(Iss, keyId: "rsa-1");

        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(bearer: impostor.Token("mallory")));

        Assert.True(outcome.Rejected);
        Assert.Contains("signature", outcome.Failure);
    }

    [Fact]
    public async Task Audiences_WhenConfigured_MustIncludeOneOfTheToken()
    {
        var authenticator = Authenticator(Rule(_rsa, r => r.Audiences.Add("bookinfo")));

        Assert.False((await authenticator.AuthenticateAsync(Request(bearer: _rsa.Token("alice", audience: "bookinfo")))).Rejected);
        var wrong = await authenticator.AuthenticateAsync(Request(bearer: _rsa.Token("alice", audience: "other")));
        Assert.True(wrong.Rejected);
        Assert.Contains("Audiences", wrong.Failure);
        Assert.True((await authenticator.AuthenticateAsync(Request(bearer: _rsa.Token("alice")))).Rejected);
    }

    [Fact]
    public async Task GarbageToken_IsRejected()
    {
        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(bearer: "not-a-jwt"));

        Assert.True(outcome.Rejected);
    }

    [Fact]
    public async Task RuleWithoutKeys_RejectsItsTokens()
    {
        var outcome = await Authenticator(Rule(_rsa, r => { r.Jwks = ""; r.JwksUri = "http://127.0.0.1:1/jwks"; })).AuthenticateAsync(Request(bearer: _rsa.Token("alice")));

        Assert.True(outcome.Rejected);
        Assert.Contains("no signing keys", outcome.Failure);
    }

    [Fact]
    public async Task DefaultLocations_IncludeTheAccessTokenParameter()
    {
        var outcome = await Authenticator(Rule(_rsa)).AuthenticateAsync(Request(query: $"?access_token={_rsa.Token("carol")}"));

        Assert.Equal($"{Iss}/carol", outcome.Identity!.Principal);
    }

    [Fact]
    public async Task FromHeaders_WithPrefix_ReplacesTheDefaultLocations()
    {
        var authenticator = Authenticator(Rule(_rsa, r => r.FromHeaders.Add(new JwtHeader { Name = "x-jwt-assertion", Prefix = "Token " })));

        var context = Request(headers: new() { ["x-jwt-assertion"] = $"Token {_rsa.Token("dave")}" });
        Assert.Equal($"{Iss}/dave", (await authenticator.AuthenticateAsync(context)).Identity!.Principal);
        Assert.False(context.Request.Headers.ContainsKey("x-jwt-assertion"));

        // The default Authorization header is no longer read, so this request carries no token at all.
        Assert.Null((await authenticator.AuthenticateAsync(Request(bearer: _rsa.Token("dave")))).Identity);
        // Without the prefix the header holds no token either.
        Assert.Null((await authenticator.AuthenticateAsync(Request(headers: new() { ["x-jwt-assertion"] = _rsa.Token("dave") }))).Identity);
    }

    [Fact]
    public async Task FromParams_ReadsTheNamedQueryParameter()
    {
        var authenticator = Authenticator(Rule(_rsa, r => r.FromParams.Add("token")));

        Assert.Equal($"{Iss}/erin", (await authenticator.AuthenticateAsync(Request(query: $"?token={_rsa.Token("erin")}"))).Identity!.Principal);
        Assert.Null((await authenticator.AuthenticateAsync(Request(query: $"?access_token={_rsa.Token("erin")}"))).Identity);
    }

    [Fact]
    public async Task ForwardOriginalToken_KeepsIt_AndOutputPayloadToHeaderCopiesThePayload()
    {
        var token = _rsa.Token("frank");
        var context = Request(bearer: token);

        await Authenticator(Rule(_rsa, r => { r.ForwardOriginalToken = true; r.OutputPayloadToHeader = "x-jwt-payload"; })).AuthenticateAsync(context);

        Assert.Equal($"Bearer {token}", context.Request.Headers.Authorization.ToString());
        var payload = context.Request.Headers["x-jwt-payload"].ToString();
        var json = JsonDocument.Parse(Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(payload))).RootElement;
        Assert.Equal("frank", json.GetProperty("sub").GetString());
    }
}
