using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

/// <summary>The ranges the validator holds circuit breaking, outlier detection, consistent hash and mirroring to.</summary>
public sealed class TrafficPolicyValidationTests
{
    private static IReadOnlyList<ConfigMessage> Validate(string yaml)
    {
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        return parsed.HasErrors ? parsed.Messages : ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices);
    }

    private static string Rule(string trafficPolicy) => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: reviews{"}"}
        spec:
          host: reviews
          trafficPolicy: {trafficPolicy}
        """;

    private static string Route(string mirror) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{"}name: reviews{"}"}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {"{"}host: reviews{"}"}
            {mirror}
        """;

    private static void AssertOnlyError(IReadOnlyList<ConfigMessage> messages, string field, string contains)
    {
        var error = Assert.Single(messages, m => m.IsError);
        Assert.Equal(field, error.Field);
        Assert.Contains(contains, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{connectionPool: {tcp: {maxConnections: 0, connectTimeout: 1ms}, http: {http1MaxPendingRequests: 2147483647, idleTimeout: 1h}}}")]
    [InlineData("{outlierDetection: {}}")]
    [InlineData("{outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 4294967295, maxEjectionPercent: 100, minHealthPercent: 0}}")]
    [InlineData("{loadBalancer: {consistentHash: {httpCookie: {name: session}, minimumRingSize: 0}}}")]
    [InlineData("{loadBalancer: {consistentHash: {useSourceIp: true}}}")]
    [InlineData("{loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 0s}}}}")]
    [InlineData("{loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 1h, path: /reviews}}}}")]
    [InlineData("{portLevelSettings: [{port: {number: 9080}, connectionPool: {tcp: {maxConnections: 1}}}]}")]
    public void PoliciesWithinRange_AreAccepted(string policy) => Assert.DoesNotContain(Validate(Rule(policy)), m => m.IsError);

    [Theory]
    [InlineData("{connectionPool: {tcp: {maxConnections: 2147483648}}}", "spec.trafficPolicy.connectionPool.tcp.maxConnections", "out of range")]
    [InlineData("{connectionPool: {http: {maxRetries: -1}}}", "spec.trafficPolicy.connectionPool.http.maxRetries", "is negative")]
    [InlineData("{connectionPool: {http: {maxRequestsPerConnection: -3}}}", "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection", "is negative")]
    [InlineData("{connectionPool: {tcp: {connectTimeout: 0s}}}", "spec.trafficPolicy.connectionPool.tcp.connectTimeout", "at least 1ms")]
    [InlineData("{connectionPool: {http: {idleTimeout: 0.1ms}}}", "spec.trafficPolicy.connectionPool.http.idleTimeout", "at least 1ms")]
    [InlineData("{connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}", "spec.trafficPolicy.connectionPool.http.h2UpgradePolicy", ConfigValidator.NotSupported)]
    [InlineData("{outlierDetection: {consecutive5xxErrors: -1}}", "spec.trafficPolicy.outlierDetection.consecutive5xxErrors", "is negative")]
    [InlineData("{outlierDetection: {consecutiveGatewayErrors: 4294967296}}", "spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors", "out of range")]
    [InlineData("{outlierDetection: {baseEjectionTime: 0s}}", "spec.trafficPolicy.outlierDetection.baseEjectionTime", "at least 1ms")]
    [InlineData("{outlierDetection: {minHealthPercent: 101}}", "spec.trafficPolicy.outlierDetection.minHealthPercent", "out of range")]
    [InlineData("{outlierDetection: {maxEjectionPercent: -1}}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "out of range")]
    [InlineData("{outlierDetection: {consecutiveErrors: 5}}", "spec.trafficPolicy.outlierDetection.consecutiveErrors", "consecutive5xxErrors")]
    [InlineData("{loadBalancer: {consistentHash: {}}}", "spec.trafficPolicy.loadBalancer.consistentHash", "no hash key")]
    [InlineData("{loadBalancer: {consistentHash: {useSourceIp: false}}}", "spec.trafficPolicy.loadBalancer.consistentHash", "no hash key")]
    [InlineData("{loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: -1}}}", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", "is negative")]
    [InlineData("{loadBalancer: {consistentHash: {httpCookie: {path: /}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "name is missing")]
    [InlineData("{loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 8}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash", ConfigValidator.NotSupported)]
    [InlineData("{loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 8388609}}}", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", "out of range")]
    [InlineData("{portLevelSettings: [{port: {number: 9080}, connectionPool: {tcp: {maxConnections: 2147483648}}}]}", "spec.trafficPolicy.portLevelSettings[0].connectionPool.tcp.maxConnections", "out of range")]
    [InlineData("{portLevelSettings: [{port: {number: 9080}, outlierDetection: {interval: 0s}}]}", "spec.trafficPolicy.portLevelSettings[0].outlierDetection.interval", "at least 1ms")]
    [InlineData("{portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: FASTEST}}]}", "spec.trafficPolicy.portLevelSettings[0].loadBalancer.simple", "is unknown")]
    [InlineData("{portLevelSettings: [{port: {number: 9080}, loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: 1s}, maglev: {tableSize: 7}}}}]}", "spec.trafficPolicy.portLevelSettings[0].loadBalancer.consistentHash.maglev", ConfigValidator.NotSupported)]
    // Port-level tls is held to what trafficPolicy.tls is: not carried out by the proxy, so not silently taken.
    [InlineData("{portLevelSettings: [{port: {number: 9080}, tls: {mode: ISTIO_MUTUAL}}]}", "spec.trafficPolicy.portLevelSettings[0].tls", ConfigValidator.NotSupported)]
    public void PoliciesOutOfRange_AreRefusedNamingTheField(string policy, string field, string contains)
    {
        var errors = Validate(Rule(policy)).Where(m => m.IsError).ToList();
        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(contains, StringComparison.Ordinal));
    }

    [Fact]
    public void SubsetPolicy_IsHeldToTheSameRanges()
    {
        var messages = Validate("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {outlierDetection: {maxEjectionPercent: 101}}
            """);

        AssertOnlyError(messages, "spec.subsets[0].trafficPolicy.outlierDetection.maxEjectionPercent", "out of range");
    }

    [Fact]
    public void SubsetSimpleLoadBalancer_UnderAHashingRule_IsRefused_ButASubsetHashIsNot()
    {
        const string rule = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {loadBalancer: LB}
            """;

        AssertOnlyError(Validate(rule.Replace("LB", "{simple: RANDOM}", StringComparison.Ordinal)), "spec.subsets[0].trafficPolicy.loadBalancer", ConfigValidator.NotSupported);
        Assert.DoesNotContain(Validate(rule.Replace("LB", "{consistentHash: {useSourceIp: true}}", StringComparison.Ordinal)), m => m.IsError);
    }

    [Theory]
    [InlineData("mirror: {host: ratings}")]
    [InlineData("mirror: {host: ratings}\n    mirrorPercentage: {value: 0}")]
    [InlineData("mirror: {host: ratings}\n    mirrorPercentage: {value: 100}")]
    [InlineData("mirrors: [{destination: {host: ratings}, percentage: {value: 0.5}}]")]
    public void Mirrors_WithinRange_AreAccepted(string mirror) => Assert.DoesNotContain(Validate(Route(mirror)), m => m.IsError);

    [Theory]
    [InlineData("mirror: {host: ratings}\n    mirrorPercentage: {value: -1}", "spec.http[0].mirrorPercentage.value", "out of range")]
    [InlineData("mirror: {host: ratings}\n    mirrorPercentage: {value: 100.5}", "spec.http[0].mirrorPercentage.value", "out of range")]
    [InlineData("mirror: {host: nowhere}", "spec.http[0].mirror.host", "not a known mesh service")]
    [InlineData("mirror: {host: ratings, subset: v1}", "spec.http[0].mirror.subset", "is not defined")]
    [InlineData("mirror: {host: ratings, port: {number: 70000}}", "spec.http[0].mirror.port.number", "out of range")]
    [InlineData("mirrors: [{destination: {host: ratings}, percentage: {value: 101}}]", "spec.http[0].mirrors[0].percentage.value", "out of range")]
    [InlineData("mirrors: [{percentage: {value: 1}}]", "spec.http[0].mirrors[0].destination", "destination is missing")]
    public void Mirrors_OutOfRange_AreRefusedNamingTheField(string mirror, string field, string contains) =>
        AssertOnlyError(Validate(Route(mirror)), field, contains);

    [Fact]
    public void MirrorPercentage_WithoutMirror_IsAWarning()
    {
        var message = Assert.Single(Validate(Route("mirrorPercentage: {value: 50}")));
        Assert.False(message.IsError);
        Assert.Equal("spec.http[0].mirrorPercentage", message.Field);
    }
}
