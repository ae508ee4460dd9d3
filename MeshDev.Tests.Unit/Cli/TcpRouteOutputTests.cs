using System.Text.Json.Nodes;
using MeshDev.Cli.Output;

namespace MeshDev.Tests.Cli;

/// <summary>meshctl proxy-config routes shows a table's tcp routes beside its http routes.</summary>
public sealed class TcpRouteOutputTests
{
    [Fact]
    public void Tcp_routes_are_rows_of_their_table_with_match_tcp_and_weighted_destinations()
    {
        var tables = JsonNode.Parse("""
            [{"name":"db","routes":[],"tcpRoutes":[{"name":"default/db/tcp/1","destinations":[
              {"service":"db","subset":"v1","weight":80},{"service":"db","subset":"v2","weight":20}]}]}]
            """)!.AsArray();
        using var writer = new StringWriter();

        ProxyConfigTables.Routes(tables).WriteTo(writer);

        Assert.Equal(
            """
            TABLE   ROUTE              MATCH   DESTINATIONS        TIMEOUT
            db      default/db/tcp/1   tcp     db/v1:80,db/v2:20   -
            """.ReplaceLineEndings("\n") + "\n",
            writer.ToString().ReplaceLineEndings("\n"));
    }
}
