using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane;
using MeshDev.ControlPlane.Push.Compiling.Security;
using MeshDev.ControlPlane.Push.Delivery;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core;
using MeshDev.Core.Config;
using MeshDev.Core.Discovery;
using MeshDev.Tests.ControlPlane;
using MeshDev.Tests.Proxy.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDev.Tests.Security;

/// <summary>Which security policies reach which workload, and how they arrive in its InboundSecurity.</summary>
public sealed class SecurityCompilerTests
{
    private static Workload Workload(string service, string @namespace = "default", ProxyMode mode = ProxyMode.Sidecar, params (string, string)[] labels) =>
        TestWorkloads.Connected(service, @namespace, mode, labels);

    private static readonly Workload Reviews = Workload("reviews", labels: ("version", "v1"));
    private static readonly Workload Ratings = Workload("ratings");
    private static readonly Workload OtherNamespace = Workload("reviews", "test");
    private static readonly Workload Gateway = new Workload
    {
        ProxyId = "ingressgateway", Mode = ProxyMode.Gateway, Service = "ingressgateway", Namespace = "istio-system",
        Labels = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["istio"] = "ingressgateway" },
        InboundAddress = "", ServicePort = 0, Protocol = ServiceProtocol.Http, AdminUrl = "http://127.0.0.1:1", Healthy = true,
        UpstreamServices = [], Connected = true, ConnectedAt = DateTimeOffset.UnixEpoch, Session = 1,
    };

    private static MeshConfig Config(string yaml) => TestWorkloads.ValidConfig(yaml, "reviews", "ratings");

    private static string PeerAuthentication(string name, string @namespace, string spec) =>
        $"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: {name}, namespace: {@namespace}}}\nspec: {spec}\n---\n";

    private static InboundSecurity Compile(Workload workload, MeshConfig config) =>
        SecurityCompiler.Compile(workload, config, new Dictionary<string, string>());

    [Theory]
    [InlineData("", "", "", MtlsMode.Permissive)]
    [InlineData("{mtls: {mode: STRICT}}", "", "", MtlsMode.Strict)]
    [InlineData("{mtls: {mode: STRICT}}", "{mtls: {mode: UNSET}}", "", MtlsMode.Strict)]
    [InlineData("{mtls: {mode: STRICT}}", "{mtls: {mode: DISABLE}}", "", MtlsMode.Disable)]
    [InlineData("{mtls: {mode: STRICT}}", "{}", "{selector: {matchLabels: {app: reviews}}}", MtlsMode.Strict)]
    [InlineData("{mtls: {mode: STRICT}}", "{mtls: {mode: DISABLE}}", "{selector: {matchLabels: {app: reviews}}, mtls: {mode: PERMISSIVE}}", MtlsMode.Permissive)]
    [InlineData("", "{mtls: {mode: STRICT}}", "{selector: {matchLabels: {app: ratings}}, mtls: {mode: DISABLE}}", MtlsMode.Strict)]
    public void EffectiveMode_IsWorkloadOverNamespaceOverMesh_WithUnsetInheriting(string mesh, string @namespace, string workload, MtlsMode expected)
    {
        var yaml = (mesh.Length > 0 ? PeerAuthentication("default", "istio-system", mesh) : "")
            + (@namespace.Length > 0 ? PeerAuthentication("default", "default", @namespace) : "")
            + (workload.Length > 0 ? PeerAuthentication("reviews", "default", workload) : "");

        Assert.Equal(expected, Compile(Reviews, Config(yaml)).MtlsMode);
    }

    [Fact]
    public void PortLevelMtls_IsKeyedByServicePort_AndAnUnsetPortInheritsTheWorkloadMode()
    {
        var security = Compile(Reviews, Config(PeerAuthentication("default", "default", "{mtls: {mode: STRICT}}")
            + PeerAuthentication("reviews", "default", "{selector: {matchLabels: {app: reviews}}, portLevelMtls: {\"9080\": {mode: DISABLE}, \"9090\": {mode: UNSET}}}")));

        Assert.Equal(MtlsMode.Strict, security.MtlsMode);
        Assert.Equal(MtlsMode.Disable, security.PortMtls[9080]);
        Assert.Equal(MtlsMode.Strict, security.PortMtls[9090]);
    }

    [Fact]
    public void OfTwoPoliciesAtOneScope_TheOldestApplies_AndOtherNamespacesAreNotTouched()
    {
        var config = Config(PeerAuthentication("first", "default", "{mtls: {mode: DISABLE}}") + PeerAuthentication("second", "default", "{mtls: {mode: STRICT}}"));

        Assert.Equal(MtlsMode.Disable, Compile(Reviews, config).MtlsMode);
        Assert.Equal(MtlsMode.Permissive, Compile(OtherNamespace, config).MtlsMode);
    }

    [Fact]
    public void SelectorPeerAuthenticationInTheRootNamespace_DoesNotReachOtherNamespaces()
    {
        var config = Config(PeerAuthentication("reviews", "istio-system", "{selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}}"));

        Assert.Equal(MtlsMode.Permissive, Compile(Reviews, config).MtlsMode);
    }

    [Fact]
    public void AuthorizationPolicies_ReachWorkloadsByRootNamespaceNamespaceAndSelector()
    {
        var config = Config("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: mesh-deny-debug, namespace: istio-system}
            spec:
              action: DENY
              rules: [{to: [{operation: {paths: ["/debug*"]}}]}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: allow-nothing, namespace: default}
            spec: {}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: reviews-viewer, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              rules:
              - from: [{source: {serviceAccounts: [bookinfo-productpage, test/sleep]}}]
                to: [{operation: {methods: [GET]}}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: any-v1, namespace: istio-system}
            spec:
              selector: {matchLabels: {version: v1}}
              action: AUDIT
              rules: [{}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: gateway-get-only, namespace: istio-system}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              rules: [{to: [{operation: {methods: [GET]}}]}]
            """);

        Assert.Equal(["default/allow-nothing", "default/reviews-viewer", "istio-system/any-v1", "istio-system/mesh-deny-debug"], Names(Compile(Reviews, config)));
        Assert.Equal(["default/allow-nothing", "istio-system/mesh-deny-debug"], Names(Compile(Ratings, config)));
        Assert.Equal(["istio-system/mesh-deny-debug"], Names(Compile(OtherNamespace, config)));
        Assert.Equal(["istio-system/gateway-get-only", "istio-system/mesh-deny-debug"], Names(Compile(Gateway, config)));

        var viewer = Compile(Reviews, config).AuthorizationPolicies.Single(p => p.Name == "reviews-viewer");
        Assert.Equal(AuthorizationAction.Allow, viewer.Action);
        Assert.Equal(["*/ns/default/sa/bookinfo-productpage", "*/ns/test/sa/sleep"], viewer.Rules[0].From[0].Principals);
        Assert.Equal(["GET"], viewer.Rules[0].To[0].Methods);
        Assert.Empty(Compile(Reviews, config).AuthorizationPolicies.Single(p => p.Name == "allow-nothing").Rules);
        Assert.Equal(AuthorizationAction.Audit, Compile(Reviews, config).AuthorizationPolicies.Single(p => p.Name == "any-v1").Action);

        static string[] Names(InboundSecurity security) => security.AuthorizationPolicies.Select(p => $"{p.Namespace}/{p.Name}").ToArray();
    }

    [Fact]
    public void GatewaySnapshot_HasPoliciesButNoPeerAuthenticationMode()
    {
        var security = Compile(Gateway, Config(PeerAuthentication("default", "istio-system", "{mtls: {mode: STRICT}}")));

        Assert.Equal(MtlsMode.Unspecified, security.MtlsMode);
    }

    [Fact]
    public void InlineJwks_AndTheRuleFields_ReachTheSelectedWorkloadsOnly()
    {
        var config = Config("""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              jwtRules:
              - issuer: testing@secure.istio.io
                audiences: [bookinfo]
                jwks: '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}'
                fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
                fromParams: [token]
                forwardOriginalToken: true
                outputPayloadToHeader: x-jwt-payload
            """);

        var rule = Assert.Single(Compile(Reviews, config).JwtRules);
        Assert.Equal(("testing@secure.istio.io", "default/jwt", "x-jwt-payload"), (rule.Issuer, rule.Source, rule.OutputPayloadToHeader));
        Assert.Equal(["bookinfo"], rule.Audiences);
        Assert.Contains("\"kty\":\"RSA\"", rule.Jwks);
        Assert.Equal(("x-jwt", "Bearer "), (rule.FromHeaders[0].Name, rule.FromHeaders[0].Prefix));
        Assert.Equal(["token"], rule.FromParams);
        Assert.True(rule.ForwardOriginalToken);
        Assert.Empty(Compile(Ratings, config).JwtRules);
    }
}
