using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

public sealed class ConfigParserTests
{
    public static TheoryData<string> BookinfoFiles => new(Directory.GetFiles(ConfigTestData.BookinfoFolder, "*.yaml").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(BookinfoFiles))]
    public void EveryBookinfoFile_ParsesAndValidatesClean(string file)
    {
        var resources = ConfigTestData.ParseClean(file);

        Assert.NotEmpty(resources);
        var messages = ConfigValidator.Validate(resources.Concat(file == "destination-rule-all.yaml" ? [] : ConfigTestData.ParseClean("destination-rule-all.yaml")).ToList(),
            ConfigTestData.BookinfoServices);
        Assert.Empty(messages);
    }

    [Fact]
    public void MultiDocumentFile_KeepsEachResourcesSourceAndLine()
    {
        var resources = ConfigTestData.ParseClean("destination-rule-all.yaml");

        Assert.Equal(["productpage", "reviews", "ratings", "details"], resources.Select(r => r.Metadata.Name));
        Assert.All(resources, r => Assert.Equal("destination-rule-all.yaml", r.Source));
        Assert.Equal([1, 12, 29, 49], resources.Select(r => r.Line));
        Assert.All(resources, r => Assert.Equal("default", r.Metadata.Namespace));
        var reviews = Assert.IsType<DestinationRuleResource>(resources[1]);
        Assert.Equal(["v1", "v2", "v3"], reviews.Spec.Subsets.Select(s => s.Name));
        Assert.Equal(22, reviews.Locate("spec.subsets[1]").Line);
    }

    [Fact]
    public void ThreeApiVersions_AndTheDeprecatedPercent_AreRead()
    {
        var delay = Assert.IsType<VirtualServiceResource>(ConfigTestData.ParseClean("virtual-service-ratings-test-delay.yaml").Single());

        Assert.Equal("networking.istio.io/v1alpha3", delay.ApiVersion);
        var fault = delay.Spec.Http[0].Fault!.Delay!;
        Assert.Equal(TimeSpan.FromSeconds(7), fault.FixedDelay);
        Assert.Equal(100, fault.Percent);
        Assert.Equal("jason", delay.Spec.Http[0].Match[0].Headers["end-user"].Exact);

        var beta = ConfigParser.Parse("""
            apiVersion: networking.istio.io/v1beta1
            kind: Gateway
            metadata: {name: g, namespace: edge}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
            """, "inline");
        Assert.Equal("edge", Assert.Single(beta.Resources).Metadata.Namespace);
    }

    [Theory]
    [InlineData("7s", 7000)]
    [InlineData("0.5s", 500)]
    [InlineData("100ms", 100)]
    [InlineData("1m", 60000)]
    [InlineData("1h", 3600000)]
    [InlineData("1m30s", 90000)]
    public void Durations_ReadAsIstioWritesThem(string text, double milliseconds)
    {
        Assert.True(IstioDuration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-1s")]
    [InlineData("7 s")]
    [InlineData("seven")]
    [InlineData("1d")]
    public void Durations_WithoutAUnitOrNegative_AreRefused(string text) => Assert.False(IstioDuration.TryParse(text, out _));

    [Fact]
    public void InvalidYaml_IsOneErrorWithItsLine()
    {
        var result = ConfigParser.Parse("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: [unclosed\n", "broken.yaml");

        var message = Assert.Single(result.Messages);
        Assert.StartsWith("not valid YAML", message.Message);
        Assert.NotNull(message.Line);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void OneBadDocument_RefusesTheWholeInput_ButReportsEveryProblem()
    {
        var result = ConfigParser.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Config", "Broken", "second-document-bad.yaml")), "two.yaml");

        Assert.True(result.HasErrors);
        Assert.Single(result.Resources); // the good one is read, but callers take nothing when HasErrors
        var error = Assert.Single(result.Messages);
        Assert.Equal(("VirtualService", "default", "reviews-faults"), (error.Kind, error.Namespace, error.Name));
    }

    [Theory]
    [InlineData("(?=a)", "lookahead")]
    [InlineData("(?!a)b", "negative lookahead")]
    [InlineData("(?<=a)b", "lookbehind")]
    [InlineData("(?<!a)b", "negative lookbehind")]
    [InlineData("(a)\\1", "backreference")]
    [InlineData("a++", "possessive")]
    [InlineData("(?>a)", "atomic")]
    [InlineData("([a-z]", "not a valid")]
    public void Re2_RefusesWhatEnvoyWouldRefuse(string pattern, string expected) =>
        Assert.Contains(expected, Re2Syntax.Check(pattern));

    [Theory]
    [InlineData("/api/v1/products/[0-9]+")]
    [InlineData("\\\\1")]
    [InlineData("[+]+")]
    [InlineData("(?P<id>[0-9]+)")]
    [InlineData("^/static/.*\\.(css|js)$")]
    public void Re2_TakesOrdinaryRegexes(string pattern) => Assert.Null(Re2Syntax.Check(pattern));
}
