using MeshDev.Core.Config;
using MeshDev.Core.Config.Security;

namespace MeshDev.Tests.Config;

/// <summary>PeerAuthentication, AuthorizationPolicy and RequestAuthentication as the parser and validator read them.</summary>
public sealed class SecurityValidationTests
{
    private static string SecurityFolder => Path.Combine(Path.GetDirectoryName(ConfigTestData.BookinfoFolder)!, "security");

    public static TheoryData<string> BookinfoSecurityFiles => new(Directory.GetFiles(SecurityFolder, "*.yaml").Select(Path.GetFileName).Order()!);

    private static IReadOnlyList<ConfigMessage> Validate(string yaml)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        return parsed.HasErrors ? parsed.Messages : ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices);
    }

    private static void AssertOnlyError(IReadOnlyList<ConfigMessage> messages, string field, string contains)
    {
        var error = Assert.Single(messages, m => m.IsError);
        Assert.Equal(field, error.Field);
        Assert.Contains(contains, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
    }

    private static string Policy(string spec, string apiVersion = "security.istio.io/v1") => $"""
        apiVersion: {apiVersion}
        kind: AuthorizationPolicy
        metadata: {"{"}name: p, namespace: default{"}"}
        spec:
        {spec}
        """;

    [Theory]
    [MemberData(nameof(BookinfoSecurityFiles))]
    public void EveryBookinfoSecurityFile_ParsesAndValidatesWithNoMessage(string file)
    {
        var parsed = ConfigParser.Parse(File.ReadAllText(Path.Combine(SecurityFolder, file)), file);

        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        var resource = Assert.Single(parsed.Resources);
        Assert.Equal("default", resource.Metadata.Namespace);
        Assert.Empty(ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices));
    }

    [Fact]
    public void BookinfoViewerPolicies_AreReadFieldForField()
    {
        var all = Directory.GetFiles(SecurityFolder, "*.yaml").Select(Path.GetFileName).OfType<string>()
            .SelectMany(f => ConfigParser.Parse(File.ReadAllText(Path.Combine(SecurityFolder, f)), f).Resources).ToList();

        var nothing = Assert.IsType<AuthorizationPolicyResource>(all.Single(r => r.Metadata.Name == "allow-nothing"));
        Assert.Null(nothing.Spec.Selector);
        Assert.Empty(nothing.Spec.Rules);
        Assert.Equal("ALLOW", nothing.Spec.EffectiveAction);

        var details = Assert.IsType<AuthorizationPolicyResource>(all.Single(r => r.Metadata.Name == "details-viewer"));
        Assert.Equal("details", details.Spec.Selector!.MatchLabels["app"]);
        var rule = Assert.Single(details.Spec.Rules);
        Assert.Equal(["cluster.local/ns/default/sa/bookinfo-productpage"], rule.From.Single().Source!.Principals);
        Assert.Equal(["GET"], rule.To.Single().Operation!.Methods);

        var strict = Assert.IsType<PeerAuthenticationResource>(all.Single(r => r.Kind == "PeerAuthentication"));
        Assert.Equal("security.istio.io/v1beta1", strict.ApiVersion);
        Assert.Equal("STRICT", strict.Spec.Mtls!.Mode);
    }

    [Fact]
    public void EveryField_OfTheThreeKinds_IsRead()
    {
        var parsed = ConfigParser.Parse("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews}
            spec:
              selector: {matchLabels: {app: reviews}}
              mtls: {mode: PERMISSIVE}
              portLevelMtls:
                9080: {mode: STRICT}
                9090: {}
            ---
            apiVersion: security.istio.io/v1beta1
            kind: AuthorizationPolicy
            metadata: {name: all-fields, namespace: istio-system}
            spec:
              action: AUDIT
              rules:
              - from:
                - source:
                    principals: ["cluster.local/ns/default/sa/a"]
                    notPrincipals: ["*/sa/b"]
                    requestPrincipals: ["issuer/*"]
                    notRequestPrincipals: ["issuer/bad"]
                    namespaces: [default]
                    notNamespaces: [test]
                    ipBlocks: [10.0.0.0/8, "::1"]
                    notIpBlocks: [10.1.0.0/16]
                    remoteIpBlocks: [203.0.113.4]
                    notRemoteIpBlocks: [2001:db8::/32]
                to:
                - operation:
                    hosts: ["*.example.com"]
                    notHosts: [admin.example.com]
                    ports: ["9080"]
                    notPorts: ["0"]
                    methods: [GET, HEAD]
                    notMethods: [DELETE]
                    paths: ["/api/{*}/items/{**}", "/info*", "*.png", "*"]
                    notPaths: [/admin]
                when:
                - {key: "request.headers[x-token]", values: ["a*"], notValues: [ab]}
                - {key: "request.auth.claims[realm][roles]", values: [admin]}
                - {key: destination.port, values: ["9080"]}
                - {key: connection.sni, notValues: ["*.internal"]}
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              jwtRules:
              - issuer: testing@secure.istio.io
                audiences: [bookinfo]
                jwksUri: https://example.com/jwks.json
                fromHeaders: [{name: x-jwt-assertion, prefix: "Token "}]
                fromParams: [token]
                forwardOriginalToken: true
                outputPayloadToHeader: x-jwt-payload
                timeout: 3s
            """, "inline.yaml");

        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        Assert.Empty(ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices));
        var pa = Assert.IsType<PeerAuthenticationResource>(parsed.Resources[0]);
        Assert.Equal("STRICT", pa.Spec.PortLevelMtls["9080"].Mode);
        Assert.Null(pa.Spec.PortLevelMtls["9090"].Mode);
        var ap = Assert.IsType<AuthorizationPolicyResource>(parsed.Resources[1]);
        var source = ap.Spec.Rules[0].From[0].Source!;
        Assert.Equal(["2001:db8::/32"], source.NotRemoteIpBlocks);
        Assert.Equal(4, ap.Spec.Rules[0].To[0].Operation!.Paths.Count);
        Assert.Equal("request.auth.claims[realm][roles]", ap.Spec.Rules[0].When[1].Key);
        var ra = Assert.IsType<RequestAuthenticationResource>(parsed.Resources[2]);
        var jwt = ra.Spec.JwtRules.Single();
        Assert.Equal(("x-jwt-assertion", "Token "), (jwt.FromHeaders[0].Name, jwt.FromHeaders[0].Prefix));
        Assert.Equal(TimeSpan.FromSeconds(3), jwt.Timeout);
        Assert.True(jwt.ForwardOriginalToken);
    }

    [Fact]
    public void UnknownField_InASource_IsNamedWithWhatIsExpected()
    {
        var messages = Validate(Policy("""
              rules:
              - from:
                - source:
                    principal: ["cluster.local/ns/default/sa/a"]
            """));

        var error = messages.First(m => m.IsError);
        Assert.Equal("spec.rules[0].from[0].source.principal", error.Field);
        Assert.Contains("unknown field 'principal'", error.Message);
        Assert.Contains("principals", error.Message);
        Assert.Equal(8, error.Line);
    }

    [Theory]
    [InlineData("  rules:\n  - from:\n    - source: {ipBlocks: [1.2.3.4/8]}", null)]
    [InlineData("  rules:\n  - to:\n    - operation: {ports: [\"0\", \"65535\"]}", null)]
    [InlineData("  rules:\n  - to:\n    - operation: {paths: [\"/foo/{**}/\", \"/foo/{*}/bar/{**}\", \"/a/b~c/{*}\"]}", null)]
    [InlineData("  rules:\n  - when:\n    - {key: \"request.auth.claims[groups]\", values: [admins]}", null)]
    [InlineData("  rules:\n  - when:\n    - {key: source.serviceAccount, values: [default/bookinfo-productpage, bookinfo-reviews]}", null)]
    [InlineData("  rules:\n  - from:\n    - source: {serviceAccounts: [default/bookinfo-productpage]}", null)]
    [InlineData("  action: DENY\n  rules:\n  - {}", null)]
    public void WellFormedPolicies_AreAccepted(string spec, string? unused)
    {
        _ = unused;
        Assert.DoesNotContain(Validate(Policy(spec)), m => m.IsError);
    }

    [Theory]
    [InlineData("  rules:\n  - from: []", "spec.rules[0].from", "from is an empty list")]
    [InlineData("  rules:\n  - to:\n    - {}", "spec.rules[0].to[0].operation", "operation is missing")]
    [InlineData("  rules:\n  - to:\n    - operation: {}", "spec.rules[0].to[0].operation", "operation is empty")]
    [InlineData("  rules:\n  - to:\n    - operation: {ports: [\"65536\"]}", "spec.rules[0].to[0].operation.ports[0]", "'65536' is not a port")]
    [InlineData("  rules:\n  - to:\n    - operation: {methods: [\"\"]}", "spec.rules[0].to[0].operation.methods[0]", "an empty value is not allowed")]
    [InlineData("  rules:\n  - to:\n    - operation: {paths: [\"/foo/{*}.txt\"]}", "spec.rules[0].to[0].operation.paths[0]", "outside a whole-segment")]
    [InlineData("  rules:\n  - to:\n    - operation: {notPaths: [\"/foo{bar}\"]}", "spec.rules[0].to[0].operation.notPaths[0]", "outside a whole-segment")]
    [InlineData("  rules:\n  - to:\n    - operation: {paths: [\"/*/baz/{*}\"]}", "spec.rules[0].to[0].operation.paths[0]", "characters a template does not allow")]
    [InlineData("  rules:\n  - from:\n    - source: {remoteIpBlocks: [\"fe80::1/129\"]}", "spec.rules[0].from[0].source.remoteIpBlocks[0]", "not a valid CIDR range")]
    [InlineData("  rules:\n  - from:\n    - source: {serviceAccounts: [\"default/*\"]}", "spec.rules[0].from[0].source.serviceAccounts[0]", "has a wildcard")]
    [InlineData("  rules:\n  - from:\n    - source: {trustDomains: [cluster.local]}", "spec.rules[0].from[0].source.trustDomains", ConfigValidator.NotSupported)]
    [InlineData("  rules:\n  - when:\n    - {key: destination.port, values: [http]}", "spec.rules[0].when[0].values[0]", "'http' is not a port")]
    [InlineData("  rules:\n  - when:\n    - {key: \"request.headers[]\", values: [a]}", "spec.rules[0].when[0].key", "request.headers[<header name>]")]
    [InlineData("  rules:\n  - when:\n    - {key: \"request.auth.claims[a]b]\", values: [a]}", "spec.rules[0].when[0].key", "request.auth.claims[<claim>]")]
    [InlineData("  rules:\n  - when:\n    - {key: \"destination.labels[app]\", values: [a]}", "spec.rules[0].when[0].key", "replaced by the workload selector")]
    [InlineData("  rules:\n  - when:\n    - {key: destination.namespace, values: [a]}", "spec.rules[0].when[0].key", "metadata.namespace")]
    [InlineData("  rules:\n  - when:\n    - {values: [a]}", "spec.rules[0].when[0].key", "key is missing")]
    [InlineData("  selector: {matchLabels: {app: \"review*\"}}", "spec.selector.matchLabels.app", "wildcard is not supported in selector")]
    [InlineData("  targetRefs: [{kind: Gateway, name: g}]", "spec.targetRefs", ConfigValidator.NotSupported)]
    public void MalformedPolicies_AreRefusedNamingTheField(string spec, string field, string contains) =>
        AssertOnlyError(Validate(Policy(spec)), field, contains);

    [Fact]
    public void StarInsideAPath_IsAWarningThatIstioMatchesItLiterally()
    {
        var warning = Assert.Single(Validate(Policy("  rules:\n  - to:\n    - operation: {paths: [\"/api/*/items\"]}")));
        Assert.False(warning.IsError);
        Assert.Equal("spec.rules[0].to[0].operation.paths[0]", warning.Field);
        Assert.Contains("matches literally", warning.Message);
    }

    [Theory]
    [InlineData("mtls: {mode: STRICT}\n  portLevelMtls: {}", "spec.portLevelMtls", "portLevelMtls is empty")]
    [InlineData("selector: {matchLabels: {app: reviews}}\n  portLevelMtls: {\"0\": {mode: STRICT}}", "spec.portLevelMtls.0", "'0' is not a port")]
    [InlineData("selector: {matchLabels: {app: reviews}}\n  portLevelMtls: {http: {mode: STRICT}}", "spec.portLevelMtls.http", "'http' is not a port")]
    [InlineData("selector: {matchLabels: {app: reviews}}\n  portLevelMtls: {\"9080\": {mode: strict}}", "spec.portLevelMtls.9080.mode", "mTLS mode 'strict' is unknown")]
    [InlineData("selector: {matchLabels: {}}\n  portLevelMtls: {\"9080\": {mode: STRICT}}", "spec.portLevelMtls", "portLevelMtls needs a selector")]
    public void MalformedPeerAuthentications_AreRefused(string spec, string field, string contains) =>
        AssertOnlyError(Validate($"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: pa}}\nspec:\n  {spec}\n"), field, contains);

    [Fact]
    public void SecondNamespaceWidePeerAuthentication_IsAWarningThatOnlyTheOldestApplies()
    {
        var messages = Validate("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: first}
            spec: {mtls: {mode: STRICT}}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: second}
            spec: {mtls: {mode: DISABLE}}
            """);

        var warning = Assert.Single(messages);
        Assert.False(warning.IsError);
        Assert.Equal("second", warning.Name);
        Assert.Contains("only the oldest one applies", warning.Message);
    }

    [Theory]
    [InlineData("jwks: '{\"keys\":[{\"kid\":\"a\"}]}'", "spec.jwtRules[0].jwks", "keys[0] has no \"kty\"")]
    [InlineData("jwks: '[1, 2]'", "spec.jwtRules[0].jwks", "no \"keys\" list")]
    [InlineData("jwksUri: not a url", "spec.jwtRules[0].jwksUri", "not an http:// or https:// URL")]
    [InlineData("jwksUri: https://example.com/k\n    audiences: [\"\"]", "spec.jwtRules[0].audiences[0]", "non-empty string")]
    [InlineData("jwksUri: https://example.com/k\n    fromParams: [\"\"]", "spec.jwtRules[0].fromParams[0]", "non-empty string")]
    [InlineData("jwksUri: https://example.com/k\n    fromHeaders: [{name: \"bad header\"}]", "spec.jwtRules[0].fromHeaders[0].name", "not a valid HTTP header name")]
    [InlineData("jwksUri: https://example.com/k\n    fromCookies: [session]", "spec.jwtRules[0].fromCookies", ConfigValidator.NotSupported)]
    [InlineData("jwksUri: https://example.com/k\n    outputPayloadToHeader: \"x payload\"", "spec.jwtRules[0].outputPayloadToHeader", "not a valid HTTP header name")]
    [InlineData("jwksUri: https://example.com/k\n    timeout: 0s", "spec.jwtRules[0].timeout", "at least 1ms")]
    public void MalformedJwtRules_AreRefused(string rule, string field, string contains) =>
        AssertOnlyError(Validate($"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {{name: ra}}\nspec:\n  jwtRules:\n  - issuer: iss\n    {rule}\n"), field, contains);

    [Fact]
    public void SecurityKinds_InAnUnknownSecurityVersion_AreRefused()
    {
        var error = Assert.Single(Validate(Policy("  {}", apiVersion: "security.istio.io/v1alpha1")));
        Assert.Equal("apiVersion", error.Field);
        Assert.Contains("security.istio.io/v1, security.istio.io/v1beta1", error.Message);
    }
}
