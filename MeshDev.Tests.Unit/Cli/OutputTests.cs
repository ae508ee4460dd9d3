using System.Text.Json.Nodes;
using MeshDev.Cli.Output;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Tests.Cli;

/// <summary>The text forms meshctl prints: message lines, YAML from API JSON, tables.</summary>
public sealed class OutputTests
{
    [Fact]
    public void A_config_message_reads_source_line_column_resource_field_and_message()
    {
        var message = JsonNode.Parse("""
            {"source":"networking/reviews.yaml","line":12,"column":7,"kind":"VirtualService","namespace":"default",
             "name":"reviews","field":"spec.http[0].route[1].weight","message":"weights add up to 80; they must add up to 100","severity":"error"}
            """)!.AsObject();

        Assert.Equal(
            "networking/reviews.yaml:12:7: VirtualService default/reviews: spec.http[0].route[1].weight: weights add up to 80; they must add up to 100",
            ConfigMessages.Format(message, "ignored"));
        Assert.True(ConfigMessages.IsError(message));
    }

    [Fact]
    public void A_warning_without_position_or_resource_leaves_those_parts_out()
    {
        var message = JsonNode.Parse("""
            {"source":null,"line":null,"column":null,"kind":null,"namespace":null,"name":null,"field":null,
             "message":"the file holds no document","severity":"warning"}
            """)!.AsObject();

        Assert.Equal("stdin: warning: the file holds no document", ConfigMessages.Format(message, "stdin"));
        Assert.False(ConfigMessages.IsError(message));
    }

    [Fact]
    public void Yaml_keeps_strings_that_look_like_numbers_as_strings_and_numbers_as_numbers()
    {
        var resource = JsonNode.Parse("""
            {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"reviews","labels":{"version":"1"}},
             "spec":{"host":"reviews","trafficPolicy":{"connectionPool":{"tcp":{"maxConnections":100}}},"enabled":true}}
            """);

        var stream = new YamlStream();
        stream.Load(new StringReader(StructuredWriter.ToYaml(resource)));

        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        var version = (YamlScalarNode)root["metadata"]["labels"]["version"];
        Assert.Equal("1", version.Value);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, version.Style);
        var maxConnections = (YamlScalarNode)root["spec"]["trafficPolicy"]["connectionPool"]["tcp"]["maxConnections"];
        Assert.Equal(("100", YamlDotNet.Core.ScalarStyle.Plain), (maxConnections.Value, maxConnections.Style));
        Assert.Equal(["apiVersion", "kind", "metadata", "spec"], root.Children.Keys.Select(k => k.ToString()));
    }

    [Fact]
    public void Table_pads_columns_and_shows_empty_cells_as_a_dash()
    {
        var writer = new StringWriter();

        new Table("NAME", "HOSTS", "SOURCE").Add("reviews", "reviews,reviews.default", null).Add("a", "", "api").WriteTo(writer);

        Assert.Equal(
            "NAME      HOSTS                     SOURCE\n" +
            "reviews   reviews,reviews.default   -\n" +
            "a         -                         api\n",
            writer.ToString().ReplaceLineEndings("\n"));
    }
}
