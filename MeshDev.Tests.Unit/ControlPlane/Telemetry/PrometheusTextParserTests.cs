using MeshDev.ControlPlane.Telemetry;

namespace MeshDev.Tests.ControlPlane.Telemetry;

public sealed class PrometheusTextParserTests
{
    private const string IstioExposition = """
        # HELP istio_requests_total Total requests.
        # TYPE istio_requests_total counter
        istio_requests_total{reporter="source",source_workload="productpage-v1",source_app="productpage",source_version="v1",destination_workload="reviews-v2",destination_app="reviews",destination_version="v2",response_code="200",connection_security_policy="mutual_tls"} 42
        istio_requests_total{reporter="source",source_workload="productpage-v1",destination_workload="reviews-v2",response_code="503",connection_security_policy="mutual_tls",} 3 1712345678901
        # TYPE istio_request_duration_milliseconds histogram
        istio_request_duration_milliseconds_bucket{reporter="source",source_workload="productpage-v1",destination_workload="reviews-v2",le="5"} 10
        istio_request_duration_milliseconds_bucket{reporter="source",source_workload="productpage-v1",destination_workload="reviews-v2",le="+Inf"} 45
        istio_request_duration_milliseconds_sum{reporter="source",source_workload="productpage-v1",destination_workload="reviews-v2"} 812.5
        proxy_uptime_seconds 1.5e3
        # EOF
        """;

    [Fact]
    public void Reads_names_labels_values_and_skips_comments_and_timestamps()
    {
        var samples = PrometheusTextParser.Parse(IstioExposition);

        Assert.Equal(6, samples.Count);
        var ok = samples[0];
        Assert.Equal("istio_requests_total", ok.Name);
        Assert.Equal(42, ok.Value);
        Assert.Equal("reviews-v2", ok.Label("destination_workload"));
        Assert.Equal("mutual_tls", ok.Label("connection_security_policy"));
        Assert.Equal(9, ok.Labels.Count);
        Assert.Equal(("503", 3.0), (samples[1].Label("response_code"), samples[1].Value));
        Assert.Equal(double.PositiveInfinity, double.Parse(samples[3].Label("le")!.Replace("+Inf", "Infinity"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1500, samples[5].Value);
        Assert.Empty(samples[5].Labels);
    }

    [Fact]
    public void Keeps_only_the_metrics_asked_for()
    {
        var samples = PrometheusTextParser.Parse(IstioExposition, IstioSeriesKey.IsTopologyMetric);

        Assert.Equal(["istio_requests_total", "istio_requests_total", "istio_request_duration_milliseconds_bucket", "istio_request_duration_milliseconds_bucket"],
            samples.Select(s => s.Name));
    }

    [Fact]
    public void Unescapes_label_values_and_reads_special_values()
    {
        var samples = PrometheusTextParser.Parse("""
            m{path="C:\\temp",quote="say \"hi\"",lines="a\nb"} NaN
            m{a="1"} -Inf
            m +Inf
            """);

        Assert.Equal(@"C:\temp", samples[0].Label("path"));
        Assert.Equal("say \"hi\"", samples[0].Label("quote"));
        Assert.Equal("a\nb", samples[0].Label("lines"));
        Assert.True(double.IsNaN(samples[0].Value));
        Assert.Equal(double.NegativeInfinity, samples[1].Value);
        Assert.Equal(double.PositiveInfinity, samples[2].Value);
    }

    [Theory]
    [InlineData("istio_requests_total{reporter=\"source\"} abc", "line 2", "'abc' is not a number")]
    [InlineData("istio_requests_total{reporter=source} 1", "line 2", "expected a quoted label value")]
    [InlineData("istio_requests_total{reporter=\"source} 1", "line 2", "not closed")]
    [InlineData("istio_requests_total{reporter=\"a\",reporter=\"b\"} 1", "line 2", "label 'reporter' appears twice")]
    [InlineData("istio_requests_total{reporter=\"a\" 1", "line 2", "expected ',' or '}'")]
    [InlineData("istio_requests_total 1 2 3", "line 2", "unexpected '3'")]
    [InlineData("{reporter=\"a\"} 1", "line 2", "expected a metric name")]
    public void A_malformed_line_fails_with_its_number_and_what_is_wrong(string badLine, string where, string what)
    {
        var exception = Assert.Throws<PrometheusFormatException>(() => PrometheusTextParser.Parse("# TYPE istio_requests_total counter\n" + badLine + "\n"));

        Assert.StartsWith(where + ", column ", exception.Message);
        Assert.Contains(what, exception.Message);
        Assert.Contains(badLine, exception.Message);
    }
}
