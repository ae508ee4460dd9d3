using System.Globalization;
using MeshDev.ControlPlane.Telemetry;

namespace MeshDev.Tests.ControlPlane.Telemetry;

/// <summary>The window math, on hand-written scrapes at chosen instants.</summary>
public sealed class TrafficWindowTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly double[] Bounds = [1, 5, 10, 25, 50, 100, double.PositiveInfinity];

    private readonly TrafficWindow _window = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5));

    /// <summary>One proxy's exposition: per (destination, code) a request count, and duration buckets for all.</summary>
    private static List<PrometheusSample> Scrape(string source, string destination, int ok, int errors = 0, string security = "mutual_tls",
        string reporter = "source", int[]? bucketCounts = null)
    {
        var text = new System.Text.StringBuilder();
        var labels = $"reporter=\"{reporter}\",source_workload=\"{source}\",source_app=\"{source.Split('-')[0]}\",destination_workload=\"{destination}\",destination_app=\"{destination.Split('-')[0]}\",connection_security_policy=\"{security}\"";
        text.AppendLine($"istio_requests_total{{{labels},response_code=\"200\"}} {ok}");
        if (errors > 0)
        {
            text.AppendLine($"istio_requests_total{{{labels},response_code=\"503\"}} {errors}");
        }

        for (var i = 0; i < Bounds.Length && bucketCounts is not null; i++)
        {
            var le = double.IsPositiveInfinity(Bounds[i]) ? "+Inf" : Bounds[i].ToString(CultureInfo.InvariantCulture);
            text.AppendLine($"istio_request_duration_milliseconds_bucket{{{labels},le=\"{le}\"}} {bucketCounts[i]}");
        }

        return [.. PrometheusTextParser.Parse(text.ToString())];
    }

    [Fact]
    public void Rate_error_rate_and_quantiles_come_from_the_deltas_inside_the_window()
    {
        // Counters already hold 1000 requests of unknown age at the first scrape: a baseline, not traffic.
        _window.Record("productpage-v1-sidecar", T0, Scrape("productpage-v1", "reviews-v2", ok: 1000, errors: 100, bucketCounts: [0, 500, 900, 1100, 1100, 1100, 1100]));
        Assert.Empty(_window.Read(T0).Edges);

        // 10 s later: 90 more OK and 10 more 503s; 50 of the 100 under 5 ms, 40 in (5, 10], 10 in (10, 25].
        _window.Record("productpage-v1-sidecar", T0.AddSeconds(10), Scrape("productpage-v1", "reviews-v2", ok: 1090, errors: 110, bucketCounts: [0, 550, 990, 1200, 1200, 1200, 1200]));
        var edge = Assert.Single(_window.Read(T0.AddSeconds(10)).Edges);

        Assert.Equal(("productpage-v1", "reviews-v2"), (edge.From, edge.To));
        Assert.Equal(("productpage", "reviews"), (edge.Source.App, edge.Destination.App));
        Assert.Equal(10.0, edge.RequestsPerSecond, 3);
        Assert.Equal(0.1, edge.ErrorRate, 4);
        Assert.Equal(5.0, edge.P50Ms!.Value, 2);   // rank 50 is the last of the (1, 5] bucket
        Assert.Equal(23.5, edge.P99Ms!.Value, 2);  // rank 99 is the 9th of the 10 in (10, 25]: 10 + 15 * 9/10
        Assert.True(edge.MutualTls);
        Assert.Equal(T0.AddSeconds(10), edge.LastSeen);
    }

    [Fact]
    public void Samples_older_than_the_window_stop_counting_and_an_idle_edge_keeps_its_last_seen()
    {
        for (var s = 0; s <= 10; s++)
        {
            _window.Record("gateway", T0.AddSeconds(s), Scrape("gateway", "productpage-v1", ok: 5 * s));
        }

        Assert.Equal(5.0, Assert.Single(_window.Read(T0.AddSeconds(10)).Edges).RequestsPerSecond, 3);

        // Traffic stops: 20 s of flat counters later, nothing grew inside the window.
        for (var s = 11; s <= 30; s++)
        {
            _window.Record("gateway", T0.AddSeconds(s), Scrape("gateway", "productpage-v1", ok: 50));
        }

        var idle = Assert.Single(_window.Read(T0.AddSeconds(30)).Edges);
        Assert.Equal(0, idle.RequestsPerSecond);
        Assert.Null(idle.P50Ms);
        Assert.Equal(T0.AddSeconds(10), idle.LastSeen);

        // Past the retention the edge leaves the graph.
        Assert.Empty(_window.Read(T0.AddMinutes(6)).Edges);
    }

    [Fact]
    public void A_counter_that_drops_is_a_restarted_proxy_and_counts_from_zero()
    {
        _window.Record("gateway", T0, Scrape("gateway", "productpage-v1", ok: 500));
        _window.Record("gateway", T0.AddSeconds(5), Scrape("gateway", "productpage-v1", ok: 520));
        _window.Record("gateway", T0.AddSeconds(10), Scrape("gateway", "productpage-v1", ok: 30)); // restarted, then served 30

        Assert.Equal(5.0, Assert.Single(_window.Read(T0.AddSeconds(10)).Edges).RequestsPerSecond, 3); // (20 + 30) / 10 s
    }

    [Fact]
    public void A_series_that_appears_after_the_first_scrape_counts_from_zero()
    {
        _window.Record("gateway", T0, []);
        _window.Record("gateway", T0.AddSeconds(2), Scrape("gateway", "productpage-v1", ok: 8));

        var edge = Assert.Single(_window.Read(T0.AddSeconds(2)).Edges);
        Assert.Equal(4.0, edge.RequestsPerSecond, 3);
    }

    [Fact]
    public void Each_request_counts_once_though_both_ends_report_it_and_the_server_tells_mtls()
    {
        // The caller reports "unknown" security as Istio's source reporter does; the server saw mutual TLS.
        _window.Record("productpage-v1-sidecar", T0, Scrape("productpage-v1", "details-v1", ok: 0, security: "unknown"));
        _window.Record("details-v1-sidecar", T0, Scrape("productpage-v1", "details-v1", ok: 0, reporter: "destination"));
        _window.Record("productpage-v1-sidecar", T0.AddSeconds(4), Scrape("productpage-v1", "details-v1", ok: 20, security: "unknown"));
        _window.Record("details-v1-sidecar", T0.AddSeconds(4), Scrape("productpage-v1", "details-v1", ok: 20, reporter: "destination"));

        var reading = _window.Read(T0.AddSeconds(4));
        var edge = Assert.Single(reading.Edges);
        Assert.Equal(5.0, edge.RequestsPerSecond, 3);
        Assert.True(edge.MutualTls);
        Assert.Equal("productpage-v1-sidecar", reading.ProxyOfWorkload["productpage-v1"]);
        Assert.Equal("details-v1-sidecar", reading.ProxyOfWorkload["details-v1"]);
    }

    [Fact]
    public void Names_that_the_reader_puts_on_one_node_make_one_edge()
    {
        // The caller names the server by its proxy id, the server names itself as Istio does; one node for both.
        _window.Record("productpage-v1-sidecar", T0, Scrape("productpage-v1", "details-v1-sidecar", ok: 0, security: "unknown"));
        _window.Record("details-v1-sidecar", T0, Scrape("productpage-v1", "details-v1", ok: 0, reporter: "destination"));
        _window.Record("productpage-v1-sidecar", T0.AddSeconds(2), Scrape("productpage-v1", "details-v1-sidecar", ok: 8, security: "unknown"));
        _window.Record("details-v1-sidecar", T0.AddSeconds(2), Scrape("productpage-v1", "details-v1", ok: 8, reporter: "destination"));

        var reading = _window.Read(T0.AddSeconds(2), (workload, proxy) => proxy is not null ? proxy.Replace("-sidecar", "") : workload.Replace("-sidecar", ""));

        var edge = Assert.Single(reading.Edges);
        Assert.Equal(("productpage-v1", "details-v1"), (edge.From, edge.To));
        Assert.Equal(4.0, edge.RequestsPerSecond, 3);
        Assert.True(edge.MutualTls);
    }

    [Fact]
    public void Without_a_caller_report_the_servers_counts_stand_in()
    {
        _window.Record("ratings-v1-sidecar", T0, Scrape("reviews-v2", "ratings-v1", ok: 0, reporter: "destination", security: "none"));
        _window.Record("ratings-v1-sidecar", T0.AddSeconds(2), Scrape("reviews-v2", "ratings-v1", ok: 6, reporter: "destination", security: "none"));

        var edge = Assert.Single(_window.Read(T0.AddSeconds(2)).Edges);
        Assert.Equal(3.0, edge.RequestsPerSecond, 3);
        Assert.False(edge.MutualTls);
    }

    [Fact]
    public void A_forgotten_proxy_takes_its_edges_with_it()
    {
        _window.Record("gateway", T0, Scrape("gateway", "productpage-v1", ok: 0));
        _window.Record("gateway", T0.AddSeconds(1), Scrape("gateway", "productpage-v1", ok: 3));
        _window.Forget("gateway");

        Assert.Empty(_window.Read(T0.AddSeconds(1)).Edges);
    }

    [Theory]
    [InlineData(0.5, 7.5)]   // rank 10 of 20: half way into (5, 10], which holds ranks 5 to 15
    [InlineData(0.99, 50)]   // rank 19.8 falls past the last finite bound, which is the answer
    [InlineData(0.1, 2.6)]   // rank 2 of the 5 in (1, 5]: 1 + 4 * 2/5
    public void Histogram_quantile_interpolates_inside_the_bucket_like_prometheus(double quantile, double expected)
    {
        (double, double)[] buckets = [(1, 0), (5, 5), (10, 15), (50, 19), (double.PositiveInfinity, 20)];

        Assert.Equal(expected, TrafficWindow.HistogramQuantile(quantile, buckets)!.Value, 2);
    }

    [Fact]
    public void Histogram_quantile_without_observations_is_null()
    {
        Assert.Null(TrafficWindow.HistogramQuantile(0.5, [(5, 0), (double.PositiveInfinity, 0)]));
        Assert.Null(TrafficWindow.HistogramQuantile(0.5, []));
    }
}
