using System.Text.Json;
using System.Text.RegularExpressions;
using MeshDev.Core;
using MeshDev.Tests.Proxy;
using MeshDev.Tests.Proxy.Infrastructure;
using MeshDev.Tests.Telemetry.Infrastructure;

namespace MeshDev.Tests.Telemetry;

/// <summary>The proxies' access logs on stdout, in Istio's text format or as JSON, with the trace id.</summary>
[Collection(ProxyProcessCollection.Name)]
public sealed partial class AccessLogTests
{
    [Fact]
    public async Task Every_hop_writes_one_line_in_Envoys_format_with_the_trace_id_and_no_credentials()
    {
        await using var mesh = await TelemetryMesh.StartAsync();
        using var client = new HttpClient { BaseAddress = mesh.GatewayUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/productpage?access_token=s3cr3t-token&page=2");
        request.Headers.Add("Authorization", "Bearer very-secret-jwt");
        request.Headers.Add("Cookie", "session=secret-cookie");
        request.Headers.UserAgent.ParseAdd("telemetry-test/1.0");
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode);
        var traceId = Assert.Single(mesh.ReviewsAppRequests)["traceparent"].ToString().Split('-')[1];

        var gateway = await LineAsync(mesh.Gateway, "/productpage");
        Assert.Equal("GET", gateway.Groups["method"].Value);
        Assert.Equal("/productpage?access_token=REDACTED&page=2", gateway.Groups["path"].Value);
        Assert.Equal("HTTP/1.1", gateway.Groups["protocol"].Value);
        Assert.Equal("200", gateway.Groups["code"].Value);
        Assert.Equal("-", gateway.Groups["flags"].Value);
        Assert.Equal("via_upstream", gateway.Groups["details"].Value);
        Assert.Equal("telemetry-test/1.0", gateway.Groups["agent"].Value);
        Assert.Equal("outbound|||productpage.default.svc.cluster.local", gateway.Groups["cluster"].Value);
        Assert.Equal("productpage", gateway.Groups["route"].Value);
        Assert.Equal(traceId, gateway.Groups["trace"].Value);
        Assert.Equal("productpage <- reviews-v2".Length.ToString(), gateway.Groups["sent"].Value);

        var inbound = await LineAsync(mesh.Reviews, "/reviews/0");
        Assert.Equal("inbound|9080||", inbound.Groups["cluster"].Value);
        Assert.Equal(traceId, inbound.Groups["trace"].Value);
        var outbound = await LineAsync(mesh.ProductPage, "/reviews/0");
        Assert.Equal("outbound|||reviews.default.svc.cluster.local", outbound.Groups["cluster"].Value);
        Assert.Equal(traceId, outbound.Groups["trace"].Value);

        foreach (var proxy in new[] { mesh.Gateway, mesh.ProductPage, mesh.Reviews })
        {
            Assert.DoesNotContain("s3cr3t-token", proxy.Output);
            Assert.DoesNotContain("very-secret-jwt", proxy.Output);
            Assert.DoesNotContain("secret-cookie", proxy.Output);
        }
    }

    [Fact]
    public async Task Json_format_writes_one_object_per_request_with_Istios_field_names()
    {
        await using var mesh = await TelemetryMesh.StartAsync(configure: (proxyId, settings) =>
        {
            if (proxyId == TelemetryMesh.ReviewsProxy)
            {
                settings.Set(MeshEnvironment.Proxy.AccessLogFormat, "json");
            }
        });
        using var app = new HttpClient { BaseAddress = mesh.ReviewsOutboundUrl };
        Assert.Equal("reviews-v2", await app.GetStringAsync("/reviews/7"));

        string? line = null;
        await mesh.Reviews.WaitUntilAsync(() =>
        {
            line = mesh.Reviews.Output.Split('\n').FirstOrDefault(l => l.StartsWith('{') && l.Contains("/reviews/7"));
            return Task.FromResult(line is not null);
        }, "the reviews sidecar's JSON access log line");

        var entry = JsonDocument.Parse(line!).RootElement;
        Assert.Equal("GET", entry.GetProperty("method").GetString());
        Assert.Equal("/reviews/7", entry.GetProperty("path").GetString());
        Assert.Equal(200, entry.GetProperty("response_code").GetInt32());
        Assert.Equal("-", entry.GetProperty("response_flags").GetString());
        Assert.Equal("reviews-v2".Length, entry.GetProperty("bytes_sent").GetInt64());
        Assert.Equal("inbound|9080||", entry.GetProperty("upstream_cluster").GetString());
        Assert.Matches("^[0-9a-f]{32}$", entry.GetProperty("trace_id").GetString());
        Assert.True(DateTime.TryParse(entry.GetProperty("start_time").GetString(), out _));
    }

    [Fact]
    public async Task An_unknown_access_log_format_stops_the_proxy_naming_the_variable()
    {
        var settings = ProxySettings.Sidecar("bad-format", "reviews", new Uri("http://127.0.0.1:1"), new Uri("http://127.0.0.1:2"))
            .Set(MeshEnvironment.Proxy.AccessLogFormat, "xml");
        var (exitCode, output) = await ProxyProcess.RunToExitAsync(settings);
        Assert.Equal(2, exitCode);
        Assert.Contains("Mesh:AccessLog:Format is \"xml\"; expected text, json or off (environment variable Mesh__AccessLog__Format)", output);
    }

    private static async Task<Match> LineAsync(ProxyProcess proxy, string path)
    {
        Match? found = null;
        await proxy.WaitUntilAsync(() =>
        {
            found = proxy.Output.Split('\n').Select(l => EnvoyLine().Match(l.TrimEnd('\r'))).FirstOrDefault(m => m.Success && m.Groups["path"].Value.StartsWith(path, StringComparison.Ordinal));
            return Task.FromResult(found is not null);
        }, $"an access log line for {path}");
        return found!;
    }

    // [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
    // %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
    // %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
    // "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%
    // %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME% %TRACE_ID%
    [GeneratedRegex("""^\[(?<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(?<method>\S+) (?<path>\S+) (?<protocol>\S+)" (?<code>\d+) (?<flags>\S+) (?<details>\S+) - "-" (?<received>\d+) (?<sent>\d+) (?<duration>\d+) - "(?<xff>[^"]*)" "(?<agent>[^"]*)" "(?<requestid>[^"]*)" "(?<authority>[^"]*)" "(?<upstream>[^"]*)" (?<cluster>\S+) - (?<local>\S+) (?<remote>\S+) - (?<route>\S+) (?<trace>[0-9a-f]{32}|-)$""")]
    private static partial Regex EnvoyLine();
}
