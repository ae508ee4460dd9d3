using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

/// <summary>VirtualService redirect and rewrite: what is taken, and Istio's rules for combining them with a route.</summary>
public sealed class RedirectRewriteValidationTests
{
    private static IReadOnlyList<ConfigMessage> Validate(string http)
    {
        var yaml = $"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {"{"}name: reviews{"}"}
            spec:
              hosts: [reviews]
              http:
            {http}
            """;
        var parsed = ConfigParser.Parse(yaml, "inline.yaml");
        return parsed.HasErrors ? parsed.Messages : ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices);
    }

    [Theory]
    [InlineData("  - redirect: {uri: /v2/reviews}")]
    [InlineData("  - redirect: {uri: '/v2/reviews?page=1', authority: reviews.example.com, scheme: https, port: 8443, redirectCode: 308}")]
    [InlineData("  - redirect: {scheme: https, derivePort: FROM_PROTOCOL_DEFAULT}")]
    [InlineData("  - redirect: {authority: 'localhost:9080', derivePort: FROM_REQUEST_PORT, redirectCode: 302}")]
    [InlineData("  - match: [{uri: {prefix: /old}}]\n    redirect: {uri: /new, redirectCode: 307}\n    headers: {response: {set: {x-moved: 'yes'}}}\n  - route: [{destination: {host: reviews}}]")]
    [InlineData("  - rewrite: {uri: /v2}\n    route: [{destination: {host: reviews}}]")]
    [InlineData("  - rewrite: {authority: reviews.internal}\n    route: [{destination: {host: reviews}}]")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1'}, authority: 'reviews:9080'}\n    route: [{destination: {host: reviews}}]")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: '/+', rewrite: /}}\n    route: [{destination: {host: reviews}}]")]
    public void RedirectsAndRewrites_AreAccepted(string http) => Assert.Empty(Validate(http));

    [Fact]
    public void Redirect_WithMirrorRetriesOrTimeout_IsTakenWithAWarningForEach()
    {
        var messages = Validate("  - redirect: {uri: /v2}\n    mirror: {host: ratings}\n    retries: {attempts: 2}\n    timeout: 1s");

        Assert.DoesNotContain(messages, m => m.IsError);
        Assert.Equal(["spec.http[0].mirror", "spec.http[0].retries", "spec.http[0].timeout"], messages.Select(m => m.Field).Order());
        Assert.All(messages, m => Assert.Contains("has no effect on a route that redirects", m.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("  - redirect: {uri: /v2}\n    route: [{destination: {host: reviews}}]", "spec.http[0].route", "give either route or redirect")]
    [InlineData("  - redirect: {uri: /v2}\n    rewrite: {uri: /v3}", "spec.http[0].rewrite", "give either rewrite or redirect")]
    [InlineData("  - redirect: {uri: /v2, redirectCode: 300}", "spec.http[0].redirect.redirectCode", "301, 302, 303, 307, 308")]
    [InlineData("  - redirect: {port: 0}", "spec.http[0].redirect.port", "out of range")]
    [InlineData("  - redirect: {authority: 'reviews/v2'}", "spec.http[0].redirect.authority", "not a host or host:port")]
    [InlineData("  - redirect: {authority: 'reviews:99999'}", "spec.http[0].redirect.authority", "not a host or host:port")]
    [InlineData("  - redirect: {uri: '/v2#top'}", "spec.http[0].redirect.uri", "'#'")]
    [InlineData("  - rewrite: {uri: v2}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uri", "starting with '/'")]
    [InlineData("  - rewrite: {authority: 'a b'}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.authority", "not a host")]
    [InlineData("  - rewrite: {uriRegexRewrite: {rewrite: /x}}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uriRegexRewrite.match", "match is missing")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: /x}}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uriRegexRewrite.rewrite", "rewrite is missing")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: '(a)', rewrite: '\\q'}}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uriRegexRewrite.rewrite", "'\\q' is not a substitution")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: '(a)', rewrite: 'x\\'}}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uriRegexRewrite.rewrite", "lone backslash")]
    [InlineData("  - rewrite: {uriRegexRewrite: {match: '(a)\\1', rewrite: x}}\n    route: [{destination: {host: reviews}}]", "spec.http[0].rewrite.uriRegexRewrite.match", "backreference")]
    public void BadRedirectsAndRewrites_AreRefusedNamingTheField(string http, string field, string contains)
    {
        var errors = Validate(http).Where(m => m.IsError).ToList();
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(contains, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void UriRegexRewrite_WithAnUnknownField_IsRefusedWhenRead()
    {
        var messages = Validate("  - rewrite: {uriRegexRewrite: {match: /a, replace: /b}}\n    route: [{destination: {host: reviews}}]");

        var error = Assert.Single(messages, m => m.IsError);
        Assert.Equal("spec.http[0].rewrite.uriRegexRewrite.replace", error.Field);
        Assert.Contains("unknown field 'replace'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2\\1x", 1, null)]
    [InlineData("\\0", 0, null)]
    [InlineData("a\\\\b", 0, null)]
    [InlineData("\\2", 1, "\\2 names capture group 2, but the match regex has 1")]
    public void Substitutions_AreCheckedAgainstTheGroupsOfTheMatch(string substitution, int groups, string? problem) =>
        Assert.Equal(problem, Re2Rewrite.Check(substitution, groups));

    [Theory]
    [InlineData("\\2/instance/\\1", "${2}/instance/${1}")]
    [InlineData("$1\\\\", "$$1\\")]
    [InlineData("\\10", "${1}0")]
    public void Substitutions_BecomeDotNetReplacements(string substitution, string expected) =>
        Assert.Equal(expected, Re2Rewrite.ToDotNet(substitution));
}
