using System.Net;
using System.Text.Json;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Inbound.Authentication;
using MeshDev.Proxy.Inbound.Authorization;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Tests.Security;

/// <summary>Istio's authorization semantics, evaluated over requests built field by field.</summary>
public sealed class AuthorizationEngineTests
{
    private const string ProductPage = "cluster.local/ns/default/sa/bookinfo-productpage";

    private static AuthorizationRequest Request(
        string method = "GET", string path = "/", string host = "reviews:9080", int port = 9080, string? principal = null,
        string? source = "10.0.0.5", string? forwardedFor = null, Dictionary<string, string>? headers = null, string? claims = null, string? sni = null)
    {
        var peer = principal is null ? null : Core.Identity.SpiffeId.Parse("spiffe://" + principal);
        return new AuthorizationRequest
        {
            Principal = peer?.Principal,
            PeerNamespace = peer?.Namespace,
            PeerServiceAccount = peer?.ServiceAccount,
            Identity = claims is null ? null : new RequestIdentity(JsonDocument.Parse(claims).RootElement.Clone()),
            SourceIp = source is null ? null : IPAddress.Parse(source),
            RemoteIp = IPAddress.Parse(forwardedFor ?? source ?? "127.0.0.1"),
            DestinationIp = IPAddress.Parse("10.0.0.9"),
            DestinationPort = port,
            Host = host,
            Method = method,
            Path = path,
            Sni = sni,
            Header = name => headers is not null && headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null,
        };
    }

    private static AuthorizationRule Policy(string name, AuthorizationAction action, params AuthorizationPolicyRule[] rules)
    {
        var policy = new AuthorizationRule { Name = name, Namespace = "default", Action = action };
        policy.Rules.AddRange(rules);
        return policy;
    }

    private static AuthorizationPolicyRule Rule(AuthorizationSource? from = null, AuthorizationOperation? to = null, params AuthorizationCondition[] when)
    {
        var rule = new AuthorizationPolicyRule();
        if (from is not null)
        {
            rule.From.Add(from);
        }

        if (to is not null)
        {
            rule.To.Add(to);
        }

        rule.When.AddRange(when);
        return rule;
    }

    private static AuthorizationCondition When(string key, string[]? values = null, string[]? notValues = null)
    {
        var condition = new AuthorizationCondition { Key = key };
        condition.Values.AddRange(values ?? []);
        condition.NotValues.AddRange(notValues ?? []);
        return condition;
    }

    private static AuthorizationEngine Engine(params AuthorizationRule[] policies) => new(policies.Select(CompiledAuthorizationPolicy.Compile));

    private static bool Allowed(AuthorizationRule policy, AuthorizationRequest request) => Engine(policy).Evaluate(request).Allowed;

    [Fact]
    public void NoPolicies_AllowEverything()
    {
        var decision = Engine().Evaluate(Request());
        Assert.True(decision.Allowed);
        Assert.Null(decision.DeniedBy);
    }

    [Fact]
    public void AllowPolicyWithoutRules_AllowsNothing()
    {
        var decision = Engine(Policy("allow-nothing", AuthorizationAction.Allow)).Evaluate(Request());
        Assert.False(decision.Allowed);
        Assert.Null(decision.DeniedBy);
    }

    [Fact]
    public void EmptyRule_MatchesEveryRequest()
    {
        Assert.True(Allowed(Policy("all", AuthorizationAction.Allow, new AuthorizationPolicyRule()), Request(method: "DELETE", path: "/x")));
        Assert.False(Allowed(Policy("deny-all", AuthorizationAction.Deny, new AuthorizationPolicyRule()), Request()));
    }

    [Fact]
    public void DenyIsEvaluatedBeforeAllow_AndNamesThePolicy()
    {
        var operation = new AuthorizationOperation { Paths = { "/admin*" } };
        var engine = Engine(
            Policy("allow-all", AuthorizationAction.Allow, new AuthorizationPolicyRule()),
            Policy("no-admin", AuthorizationAction.Deny, Rule(to: operation)));

        var denied = engine.Evaluate(Request(path: "/admin/users"));
        Assert.False(denied.Allowed);
        Assert.Equal("default.no-admin", denied.DeniedBy!.Id);
        Assert.True(engine.Evaluate(Request(path: "/reviews/0")).Allowed);
    }

    [Fact]
    public void WithAllowPolicies_OneMustMatch()
    {
        var engine = Engine(
            Policy("get", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Methods = { "GET" } })),
            Policy("post-data", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Methods = { "POST" }, Paths = { "/data" } })));

        Assert.True(engine.Evaluate(Request("GET", "/anything")).Allowed);
        Assert.True(engine.Evaluate(Request("POST", "/data")).Allowed);
        Assert.False(engine.Evaluate(Request("POST", "/other")).Allowed);
        Assert.False(engine.Evaluate(Request("DELETE", "/data")).Allowed);
    }

    [Fact]
    public void AuditPolicies_OnlyRecordAMatch()
    {
        var engine = Engine(Policy("audit-admin", AuthorizationAction.Audit, Rule(to: new AuthorizationOperation { Paths = { "/admin" } })));

        var decision = engine.Evaluate(Request(path: "/admin"));
        Assert.True(decision.Allowed);
        Assert.Equal("audit-admin", Assert.Single(decision.Audited).Name);
        Assert.Empty(engine.Evaluate(Request(path: "/other")).Audited);
    }

    [Theory]
    [InlineData("/info", "/info", true)]
    [InlineData("/info", "/info/x", false)]
    [InlineData("/info*", "/info/x", true)]
    [InlineData("/info*", "/inf", false)]
    [InlineData("*.png", "/img/a.png", true)]
    [InlineData("*.png", "/img/a.jpg", false)]
    [InlineData("*", "/", true)]
    [InlineData("/api/{*}/items", "/api/v1/items", true)]
    [InlineData("/api/{*}/items", "/api/v1/v2/items", false)]
    [InlineData("/api/{*}/items", "/api//items", false)]
    [InlineData("/foo/{**}/", "/foo/bar/baz.txt/", true)]
    [InlineData("/foo/{**}/", "/foo/bar", false)]
    [InlineData("/foo/{*}/bar/{**}", "/foo/buzz/bar/baz", true)]
    [InlineData("/a*b", "/a*b", true)]
    [InlineData("/a*b", "/axb", false)]
    public void Paths_MatchExactPrefixSuffixPresenceAndTemplates(string pattern, string path, bool matches) =>
        Assert.Equal(matches, Allowed(Policy("p", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Paths = { pattern } })), Request(path: path)));

    [Fact]
    public void NotPaths_MatchWhenNoPatternDoes()
    {
        var policy = Policy("not-admin", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { NotPaths = { "/admin*", "*.secret" } }));
        Assert.True(Allowed(policy, Request(path: "/reviews")));
        Assert.False(Allowed(policy, Request(path: "/admin/x")));
        Assert.False(Allowed(policy, Request(path: "/a.secret")));
    }

    [Fact]
    public void Methods_AndNotMethods_AreCaseSensitiveAndAnded()
    {
        var policy = Policy("m", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Methods = { "G*" }, NotMethods = { "GOTO" } }));
        Assert.True(Allowed(policy, Request("GET")));
        Assert.False(Allowed(policy, Request("GOTO")));
        Assert.False(Allowed(policy, Request("get")));
        Assert.False(Allowed(policy, Request("POST")));
    }

    [Fact]
    public void Hosts_MatchIgnoringCase_WithPrefixAndSuffix()
    {
        var policy = Policy("h", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Hosts = { "*.example.com", "reviews:*" }, NotHosts = { "admin.example.com" } }));
        Assert.True(Allowed(policy, Request(host: "WWW.Example.com")));
        Assert.True(Allowed(policy, Request(host: "reviews:9080")));
        Assert.False(Allowed(policy, Request(host: "admin.EXAMPLE.com")));
        Assert.False(Allowed(policy, Request(host: "ratings:9080")));
    }

    [Fact]
    public void Ports_AndNotPorts_MatchTheDestinationPort()
    {
        Assert.True(Allowed(Policy("p", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Ports = { "9080", "9090" } })), Request(port: 9090)));
        Assert.False(Allowed(Policy("p", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { Ports = { "9080" } })), Request(port: 80)));
        Assert.False(Allowed(Policy("p", AuthorizationAction.Allow, Rule(to: new AuthorizationOperation { NotPorts = { "9080" } })), Request(port: 9080)));
    }

    [Fact]
    public void Principals_NeedAPeerIdentity_AndNotPrincipalsMatchPlaintext()
    {
        var allow = Policy("details-viewer", AuthorizationAction.Allow, Rule(from: new AuthorizationSource { Principals = { ProductPage } }));
        Assert.True(Allowed(allow, Request(principal: ProductPage)));
        Assert.False(Allowed(allow, Request(principal: "cluster.local/ns/default/sa/bookinfo-reviews")));
        Assert.False(Allowed(allow, Request(principal: null)));

        // Istio's "deny plaintext": a request without a peer identity has no principal to match "*".
        var denyPlaintext = Policy("require-mtls", AuthorizationAction.Deny, Rule(from: new AuthorizationSource { NotPrincipals = { "*" } }));
        Assert.False(Allowed(denyPlaintext, Request(principal: null)));
        Assert.True(Allowed(denyPlaintext, Request(principal: ProductPage)));

        var suffix = Policy("any-domain", AuthorizationAction.Allow, Rule(from: new AuthorizationSource { Principals = { "*/ns/default/sa/bookinfo-productpage" } }));
        Assert.True(Allowed(suffix, Request(principal: "example.org/ns/default/sa/bookinfo-productpage")));
    }

    [Fact]
    public void Namespaces_ComeFromThePeerIdentity()
    {
        var policy = Policy("ns", AuthorizationAction.Allow, Rule(from: new AuthorizationSource { Namespaces = { "default", "test*" }, NotNamespaces = { "testing" } }));
        Assert.True(Allowed(policy, Request(principal: "cluster.local/ns/test-1/sa/a")));
        Assert.True(Allowed(policy, Request(principal: ProductPage)));
        Assert.False(Allowed(policy, Request(principal: "cluster.local/ns/testing/sa/a")));
        Assert.False(Allowed(policy, Request(principal: "cluster.local/ns/other/sa/a")));
        Assert.False(Allowed(policy, Request(principal: null)));
    }

    [Fact]
    public void IpBlocks_MatchTheConnection_AndRemoteIpBlocksTheOriginalClient()
    {
        var direct = Policy("ip", AuthorizationAction.Allow, Rule(from: new AuthorizationSource { IpBlocks = { "10.0.0.0/24", "2001:db8::1" }, NotIpBlocks = { "10.0.0.7" } }));
        Assert.True(Allowed(direct, Request(source: "10.0.0.5")));
        Assert.False(Allowed(direct, Request(source: "10.0.0.7")));
        Assert.False(Allowed(direct, Request(source: "10.0.1.5")));
        Assert.True(Allowed(direct, Request(source: "2001:db8::1")));

        var remote = Policy("remote", AuthorizationAction.Deny, Rule(from: new AuthorizationSource { RemoteIpBlocks = { "203.0.113.0/24" } }));
        Assert.False(Allowed(remote, Request(source: "10.0.0.5", forwardedFor: "203.0.113.9")));
        Assert.True(Allowed(remote, Request(source: "203.0.113.9", forwardedFor: "198.51.100.1")));
    }

    [Fact]
    public void FromEntries_AreOred_AndFieldsOfOneSourceAnded()
    {
        var rule = new AuthorizationPolicyRule
        {
            From =
            {
                new AuthorizationSource { Principals = { ProductPage }, IpBlocks = { "10.0.0.0/8" } },
                new AuthorizationSource { RequestPrincipals = { "issuer/*" } },
            },
        };
        var policy = Policy("or", AuthorizationAction.Allow, rule);
        Assert.True(Allowed(policy, Request(principal: ProductPage, source: "10.1.1.1")));
        Assert.False(Allowed(policy, Request(principal: ProductPage, source: "192.168.1.1")));
        Assert.True(Allowed(policy, Request(principal: null, claims: """{"iss":"issuer","sub":"alice"}""")));
        Assert.False(Allowed(policy, Request(principal: null)));
    }

    [Fact]
    public void RulesFromToAndWhen_MustAllMatch()
    {
        var policy = Policy("all-three", AuthorizationAction.Allow, Rule(
            from: new AuthorizationSource { RequestPrincipals = { "*" } },
            to: new AuthorizationOperation { Methods = { "GET" } },
            When("request.headers[x-version]", ["v1"])));
        var jwt = """{"iss":"i","sub":"s"}""";
        Assert.True(Allowed(policy, Request("GET", claims: jwt, headers: new() { ["x-version"] = "v1" })));
        Assert.False(Allowed(policy, Request("POST", claims: jwt, headers: new() { ["x-version"] = "v1" })));
        Assert.False(Allowed(policy, Request("GET", claims: jwt, headers: new() { ["x-version"] = "v2" })));
        Assert.False(Allowed(policy, Request("GET", headers: new() { ["x-version"] = "v1" })));
    }

    [Fact]
    public void WhenHeaders_SupportPatternsAndNotValues_AndAnAbsentHeaderMatchesOnlyNotValues()
    {
        var values = Policy("h", AuthorizationAction.Allow, Rule(when: When("request.headers[User-Agent]", ["curl/*"])));
        Assert.True(Allowed(values, Request(headers: new() { ["user-agent"] = "curl/8.5" })));
        Assert.False(Allowed(values, Request()));

        var notValues = Policy("h", AuthorizationAction.Allow, Rule(when: When("request.headers[x-debug]", notValues: ["*"])));
        Assert.True(Allowed(notValues, Request()));
        Assert.False(Allowed(notValues, Request(headers: new() { ["x-debug"] = "1" })));
    }

    [Theory]
    [InlineData("request.auth.principal", "https://issuer/alice", true)]
    [InlineData("request.auth.principal", "https://issuer/bob", false)]
    [InlineData("request.auth.audiences", "bookinfo", true)]
    [InlineData("request.auth.audiences", "other", false)]
    [InlineData("request.auth.presenter", "web-*", true)]
    [InlineData("request.auth.claims[groups]", "admins", true)]
    [InlineData("request.auth.claims[groups]", "nobody", false)]
    [InlineData("request.auth.claims[realm][roles]", "editor", true)]
    [InlineData("request.auth.claims[realm][level]", "3", true)]
    [InlineData("request.auth.claims[email_verified]", "true", true)]
    [InlineData("request.auth.claims[scope]", "read", true)]
    [InlineData("request.auth.claims[missing]", "*", false)]
    public void WhenRequestAuthKeys_ReadTheVerifiedToken(string key, string value, bool matches)
    {
        const string claims = """
            {"iss":"https://issuer","sub":"alice","aud":["bookinfo","admin"],"azp":"web-app","groups":["admins","devs"],
             "realm":{"roles":["editor"],"level":3},"email_verified":true,"scope":"read write"}
            """;
        var policy = Policy("jwt", AuthorizationAction.Allow, Rule(when: When(key, [value])));
        Assert.Equal(matches, Allowed(policy, Request(claims: claims)));
        Assert.False(Allowed(policy, Request()));
    }

    [Fact]
    public void WhenConnectionKeys_ReadAddressesPortsPeerAndSni()
    {
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("source.ip", ["10.0.0.0/16"]))), Request(source: "10.0.3.4")));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("remote.ip", notValues: ["203.0.113.1"]))), Request(forwardedFor: "203.0.113.2")));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("destination.ip", ["10.0.0.9"]))), Request()));
        Assert.False(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("destination.port", ["80"]))), Request(port: 9080)));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("source.namespace", ["default"]))), Request(principal: ProductPage)));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("source.principal", [ProductPage]))), Request(principal: ProductPage)));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("source.serviceAccount", ["bookinfo-productpage"]))), Request(principal: ProductPage)));
        Assert.False(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("source.serviceAccount", ["other/bookinfo-productpage"]))), Request(principal: ProductPage)));
        Assert.True(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("connection.sni", ["*.svc.cluster.local"]))), Request(sni: "reviews.default.svc.cluster.local")));
        Assert.False(Allowed(Policy("a", AuthorizationAction.Allow, Rule(when: When("connection.sni", ["*"]))), Request()));
    }

    [Fact]
    public void ValuesTheControlPlaneShouldHaveRefused_AreRefusedByTheProxy()
    {
        var badIp = Policy("bad", AuthorizationAction.Allow, Rule(from: new AuthorizationSource { IpBlocks = { "10.0.0.0/40" } }));
        var error = Assert.Throws<InvalidSnapshotException>(() => CompiledAuthorizationPolicy.Compile(badIp));
        Assert.Contains("default/bad", error.Message);

        Assert.Throws<InvalidSnapshotException>(() => CompiledAuthorizationPolicy.Compile(Policy("k", AuthorizationAction.Allow, Rule(when: When("request.method", ["GET"])))));
    }
}
