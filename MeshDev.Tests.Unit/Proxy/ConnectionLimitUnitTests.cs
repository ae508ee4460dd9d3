using System.Text;
using MeshDev.Proxy.Forwarding.ConnectionLimits;

namespace MeshDev.Tests.Proxy;

/// <summary>The "Connection: close" that ends an HTTP/1.1 connection's last allowed request, however the bytes arrive.</summary>
public sealed class ConnectionLimitUnitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void The_header_follows_the_status_line_whatever_the_read_sizes(int readSize)
    {
        const string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

        Assert.Equal("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", Inject(response, readSize));
    }

    [Fact]
    public void Interim_responses_pass_untouched_and_the_final_one_gets_the_header()
    {
        const string response = "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";

        Assert.Equal(
            "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            Inject(response, 7));
    }

    [Fact]
    public void A_switch_to_another_protocol_is_left_alone()
    {
        const string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nframes";

        Assert.Equal(response, Inject(response, 5));
    }

    /// <summary>Feeds the response through the injector <paramref name="readSize"/> bytes at a time, as reads deliver it.</summary>
    private static string Inject(string response, int readSize)
    {
        var injector = new ConnectionCloseInjector();
        var bytes = Encoding.ASCII.GetBytes(response);
        var output = new StringBuilder();
        for (var offset = 0; offset < bytes.Length; offset += readSize)
        {
            var chunk = bytes.AsSpan(offset, Math.Min(readSize, bytes.Length - offset));
            if (injector.Done)
            {
                output.Append(Encoding.ASCII.GetString(chunk));
                continue;
            }

            var now = injector.Process(chunk, out var rest);
            output.Append(Encoding.ASCII.GetString(chunk[..now]));
            if (rest is not null)
            {
                output.Append(Encoding.ASCII.GetString(rest));
            }
        }

        return output.ToString();
    }
}
