using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

/// <summary>DestinationRule portLevelSettings against the one port a MeshDev service has.</summary>
public sealed class PortLevelSettingsValidationTests
{
    private static readonly Dictionary<string, uint> BookinfoPorts = new() { ["reviews"] = 9080, ["ratings"] = 9080 };

    private static IReadOnlyList<ConfigMessage> Validate(string yaml, IReadOnlyDictionary<string, uint>? ports)
    {
        var parsed = ConfigParser.Parse(yaml, "reviews-rule.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Messages));
        return ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices, ports);
    }

    private const string TwoPorts = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          trafficPolicy:
            connectionPool:
              tcp:
                maxConnections: 100
            portLevelSettings:
            - port:
                number: 9080
              connectionPool:
                tcp:
                  maxConnections: 1
            - port:
                number: 8080
              loadBalancer:
                simple: RANDOM
        """;

    [Fact]
    public void AnEntryForAPortTheServiceLacks_IsAWarningNamingItsFieldAndLine()
    {
        var message = Assert.Single(Validate(TwoPorts, BookinfoPorts));

        Assert.Equal(ConfigSeverity.Warning, message.Severity);
        Assert.Equal("spec.trafficPolicy.portLevelSettings[1].port.number", message.Field);
        Assert.Equal(18, message.Line);
        Assert.Contains("service 'reviews' has no port 8080 (its service port is 9080)", message.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhileTheServicePortIsUnknown_NoEntryIsFlagged() => Assert.Empty(Validate(TwoPorts, ports: null));

    [Fact]
    public void ASecondEntryForTheSamePort_IsAWarningThatOnlyTheFirstApplies()
    {
        var messages = Validate("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                portLevelSettings:
                - {port: {number: 9080}, loadBalancer: {simple: RANDOM}}
                - {port: {number: 9080}, loadBalancer: {simple: ROUND_ROBIN}}
            """, BookinfoPorts);

        var warning = Assert.Single(messages);
        Assert.False(warning.IsError);
        Assert.Equal("spec.trafficPolicy.portLevelSettings[1].port.number", warning.Field);
        Assert.Contains("only that first entry applies", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubsetPortLevelSettings_AreCheckedLikeTheRules()
    {
        var messages = Validate("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  portLevelSettings:
                  - {port: {number: 9080}, outlierDetection: {maxEjectionPercent: 120}}
            """, BookinfoPorts);

        var error = Assert.Single(messages);
        Assert.Equal("spec.subsets[0].trafficPolicy.portLevelSettings[0].outlierDetection.maxEjectionPercent", error.Field);
    }

    [Theory]
    // The rule hashes on the service's port; the subset's entry for that port gives a simple balancer: refused there.
    [InlineData("{consistentHash: {httpHeaderName: x-user}}", "[{port: {number: 9080}, loadBalancer: {simple: RANDOM}}]", "spec.subsets[0].trafficPolicy.portLevelSettings[0].loadBalancer")]
    // Another port's entry never applies, so nothing is dropped.
    [InlineData("{consistentHash: {httpHeaderName: x-user}}", "[{port: {number: 8080}, loadBalancer: {simple: RANDOM}}]", null)]
    // The rule's own entry for the port stops the hashing, so the subset's simple balancer drops nothing.
    [InlineData("{consistentHash: {httpHeaderName: x-user}}\n    portLevelSettings: [{port: {number: 9080}, loadBalancer: {simple: RANDOM}}]",
        "[{port: {number: 9080}, loadBalancer: {simple: ROUND_ROBIN}}]", null)]
    public void ASubsetPortEntryGivingUpTheRulesHash_IsRefusedOnlyWhenItApplies(string ruleLoadBalancer, string subsetPorts, string? refusedField)
    {
        var messages = Validate($"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {"{"}name: reviews{"}"}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {ruleLoadBalancer}
              subsets:
              - name: v2
                labels: {"{"}version: v2{"}"}
                trafficPolicy:
                  portLevelSettings: {subsetPorts}
            """, BookinfoPorts).Where(m => m.IsError).ToList();

        if (refusedField is null)
        {
            Assert.Empty(messages);
        }
        else
        {
            Assert.Equal(refusedField, Assert.Single(messages).Field);
        }
    }
}
