using System.Diagnostics;
using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Discovery;
using MeshDev.Proxy.Telemetry;
using MeshDev.Proxy.Telemetry.AccessLog;
using MeshDev.Proxy.Telemetry.Mesh;
using MeshDev.Proxy.Telemetry.Tracing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MeshDev.Proxy.Outbound.Clusters;

namespace MeshDev.Tests.Telemetry;

public sealed class TelemetryUnitTests
{
    [Fact]
    public void Peer_metadata_round_trips_and_escapes_its_separators()
    {
        var labels = new IstioWorkloadLabels("reviews-v2", "default", "reviews", "v2;beta=1", "reviews", "v2");
        var header = PeerMetadata.Format(labels);

        Assert.Equal("workload=reviews-v2;namespace=default;app=reviews;version=v2%3Bbeta%3D1;canonical_service=reviews;canonical_revision=v2", header);
        Assert.Equal(labels, PeerMetadata.Parse(header));
    }

    [Theory]
    [InlineData("")]
    [InlineData("app=reviews")]                       // no workload
    [InlineData("workload")]                          // no value
    [InlineData("workload=a;garbage")]
    public void Peer_metadata_without_a_workload_or_in_another_shape_is_ignored(string header) =>
        Assert.Null(PeerMetadata.Parse(header));

    [Fact]
    public void Peer_metadata_fills_what_a_caller_left_out_as_Istio_does()
    {
        var labels = PeerMetadata.Parse("workload=ratings-v1;app=ratings;future_key=x")!;
        Assert.Equal(new IstioWorkloadLabels("ratings-v1", "unknown", "ratings", "unknown", "ratings", "latest"), labels);
    }

    [Fact]
    public void W3C_trace_context_wins_over_B3()
    {
        var headers = new HeaderDictionary
        {
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["tracestate"] = "vendor=1",
            ["x-b3-traceid"] = "463ac35c9f6413ad",
            ["x-b3-spanid"] = "a2fb4a1d1a96d312",
        };

        Assert.True(TraceContext.TryExtract(headers, out var context));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal("vendor=1", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Theory]
    [InlineData("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90", "80f198ee56343ba864fe8b2a57d3eff7", true)]
    [InlineData("463ac35c9f6413ad-a2fb4a1d1a96d312-0", "0000000000000000463ac35c9f6413ad", false)]
    [InlineData("463ac35c9f6413ad-a2fb4a1d1a96d312-d", "0000000000000000463ac35c9f6413ad", true)]
    [InlineData("463ac35c9f6413ad-a2fb4a1d1a96d312", "0000000000000000463ac35c9f6413ad", true)]
    public void Single_b3_header_is_read(string b3, string traceId, bool sampled)
    {
        Assert.True(TraceContext.TryExtract(new HeaderDictionary { ["b3"] = b3 }, out var context));
        Assert.Equal(traceId, context.TraceId.ToHexString());
        Assert.Equal(sampled, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Theory]
    [InlineData("1")]                                              // a sampling decision without a context
    [InlineData("463ac35c9f6413ad")]
    [InlineData("zz3ac35c9f6413ad-a2fb4a1d1a96d312-1")]
    [InlineData("0000000000000000-a2fb4a1d1a96d312-1")]
    public void A_b3_header_without_a_valid_context_starts_a_new_trace(string b3) =>
        Assert.False(TraceContext.TryExtract(new HeaderDictionary { ["b3"] = b3 }, out _));

    [Fact]
    public void Multi_header_b3_with_sampled_0_is_not_sampled()
    {
        var headers = new HeaderDictionary { ["x-b3-traceid"] = "463AC35C9F6413AD", ["x-b3-spanid"] = "a2fb4a1d1a96d312", ["x-b3-sampled"] = "0" };
        Assert.True(TraceContext.TryExtract(headers, out var context));
        Assert.Equal("0000000000000000463ac35c9f6413ad", context.TraceId.ToHexString());
        Assert.False(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Theory]
    [InlineData("?page=2", "?page=2")]
    [InlineData("?access_token=abc&page=2", "?access_token=REDACTED&page=2")]
    [InlineData("?X-Amz-Signature=abc&key=k&code=c&apiKey=1", "?X-Amz-Signature=REDACTED&key=REDACTED&code=REDACTED&apiKey=REDACTED")]
    [InlineData("?token", "?token")]
    public void Credential_like_query_parameters_lose_their_values(string query, string logged) =>
        Assert.Equal(logged, SafeRequestText.RedactQuery(query));

    [Fact]
    public void Response_flags_read_as_Envoy_writes_them()
    {
        Assert.Equal("-", ResponseFlags.None.ToEnvoyString());
        Assert.Equal("UH", ResponseFlags.NoHealthyUpstream.ToEnvoyString());
        Assert.Equal("DI,UT", (ResponseFlags.UpstreamRequestTimeout | ResponseFlags.DelayInjected).ToEnvoyString());
    }

    [Fact]
    public void Tcp_connections_are_counted_with_Istios_labels_and_request_protocol_tcp()
    {
        using var services = TelemetryServices(new Dictionary<string, string?>
        {
            ["Mesh:Mode"] = "sidecar",
            ["Mesh:ProxyId"] = "orders-v1-sidecar",
            ["Mesh:Service"] = "orders",
            ["Mesh:Labels:app"] = "orders",
            ["Mesh:Labels:version"] = "v1",
            ["Mesh:ControlPlane:Address"] = "http://127.0.0.1:15010",
            ["Mesh:Admin:Port"] = "15000",
            ["Mesh:Inbound:Port"] = "15001",
            ["Mesh:Inbound:ServicePort"] = "27017",
            ["Mesh:App:Address"] = "http://127.0.0.1:5000",
        });
        var tcp = services.GetRequiredService<ITcpTelemetry>();
        var endpoint = new UpstreamEndpoint("mongodb-v1-sidecar", "127.0.0.1:27018",
            new Dictionary<string, string> { ["app"] = "mongodb", ["version"] = "v1" }, healthy: true, new EndpointLoad(),
            peerIdentity: "spiffe://cluster.local/ns/default/sa/mongodb");

        var connection = tcp.OutboundOpened("mongodb", endpoint);
        connection.Received(100);
        connection.Sent(2048);
        connection.Closed();
        connection.Closed();
        tcp.OutboundOpened("mongodb", null).Closed(ResponseFlags.NoHealthyUpstream);

        var series = services.GetRequiredService<MeshMetricsCollector>().Series().ToArray();
        var opened = series.OfType<Counter>().Where(s => s.Name.Family == "istio_tcp_connections_opened_total").ToArray();
        Assert.Equal(2, opened.Sum(s => s.Value));
        var toMongo = Labels(opened.Single(s => Labels(s)["destination_workload"] == "mongodb-v1"));
        Assert.Equal("source", toMongo["reporter"]);
        Assert.Equal("orders-v1", toMongo["source_workload"]);
        Assert.Equal("tcp", toMongo["request_protocol"]);
        Assert.Equal("mongodb.default.svc.cluster.local", toMongo["destination_service"]);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/mongodb", toMongo["destination_principal"]);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/orders", toMongo["source_principal"]);
        Assert.False(toMongo.ContainsKey("response_code"));

        Assert.Equal(2048, series.OfType<Counter>().Single(s => s.Name.Family == "istio_tcp_sent_bytes_total").Value);
        Assert.Equal(100, series.OfType<Counter>().Single(s => s.Name.Family == "istio_tcp_received_bytes_total").Value);
        var closed = series.OfType<Counter>().Where(s => s.Name.Family == "istio_tcp_connections_closed_total").ToArray();
        Assert.Equal(1, closed.Single(s => Labels(s)["response_flags"] == "-").Value);
        Assert.Equal(1, closed.Single(s => Labels(s)["response_flags"] == "UH").Value);
    }

    private static Dictionary<string, string> Labels(Stat stat) => stat.Name.Labels.ToDictionary(l => l.Key, l => l.Value);

    private static ServiceProvider TelemetryServices(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Configuration.AddConfiguration(configuration);
        var options = ProxyOptionsReader.Read(configuration);
        builder.Services.AddSingleton(options);
        builder.AddMeshTelemetry(options);
        return builder.Services.BuildServiceProvider();
    }
}
