using Bookinfo.Details;
using Microsoft.Extensions.Configuration;

namespace MeshDev.Tests.Bookinfo;

public sealed class FailureInjectionTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(30, 30)]
    [InlineData(100, 100)]
    [InlineData(7, 7)]
    public void Fails_exactly_the_configured_share_of_each_hundred_requests(int percent, int expectedFailures)
    {
        var failures = new FailureInjection(percent);
        Assert.Equal(expectedFailures, Enumerable.Range(0, 100).Count(_ => failures.NextFails()));
    }

    [Fact]
    public void Thirty_percent_never_fails_twice_in_a_row()
    {
        var failures = new FailureInjection(30);
        var outcomes = Enumerable.Range(0, 1000).Select(_ => failures.NextFails()).ToArray();
        Assert.DoesNotContain(outcomes.Zip(outcomes.Skip(1)), pair => pair.First && pair.Second);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("101")]
    [InlineData("thirty")]
    public void A_bad_setting_names_itself(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FAILURE_PERCENT"] = value }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => FailureInjection.FromConfiguration(configuration));
        Assert.Contains("FAILURE_PERCENT", error.Message);
        Assert.Contains(value, error.Message);
    }
}
