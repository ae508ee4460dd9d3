using System.Text;

namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>
/// Adds "Connection: close" to one HTTP/1.1 response as it is read off the wire, right after its status line, so that
/// the HTTP client closes the connection once that response is complete instead of pooling it again. Interim (1xx)
/// responses before it are passed on untouched; a 101 (the connection becomes a tunnel) is never touched.
/// </summary>
public sealed class ConnectionCloseInjector
{
    private static readonly byte[] Header = Encoding.ASCII.GetBytes("Connection: close\r\n");

    private enum State
    {
        StatusLine,
        InterimHeaders,
        Done,
    }

    // "HTTP/1.1 200": the status code is bytes 9 to 11 of the status line.
    private readonly byte[] _statusLine = new byte[12];
    private int _statusLineLength;
    private int _headerLineLength;
    private State _state;

    public bool Done => _state == State.Done;

    /// <summary>
    /// Looks at the next bytes of the response stream, <paramref name="data"/>. Returns how many of them the reader
    /// gets now; when the header goes in, <paramref name="rest"/> holds the header and the bytes after the status line,
    /// which the reader gets next.
    /// </summary>
    public int Process(ReadOnlySpan<byte> data, out byte[]? rest)
    {
        rest = null;
        for (var i = 0; i < data.Length && _state != State.Done; i++)
        {
            var b = data[i];
            if (_state == State.InterimHeaders)
            {
                if (b == (byte)'\n')
                {
                    // An empty line ends the interim response; the next line is another status line.
                    _state = _headerLineLength == 0 ? State.StatusLine : State.InterimHeaders;
                    _headerLineLength = 0;
                    _statusLineLength = 0;
                }
                else if (b != (byte)'\r')
                {
                    _headerLineLength++;
                }

                continue;
            }

            if (b != (byte)'\n')
            {
                if (_statusLineLength < _statusLine.Length)
                {
                    _statusLine[_statusLineLength] = b;
                }

                _statusLineLength++;
                continue;
            }

            var status = StatusCode();
            if (status is >= 100 and < 200 && status != 101)
            {
                _state = State.InterimHeaders;
                _headerLineLength = 0;
                continue;
            }

            _state = State.Done;
            if (status == 101)
            {
                return data.Length;
            }

            var after = data[(i + 1)..];
            rest = new byte[Header.Length + after.Length];
            Header.CopyTo(rest, 0);
            after.CopyTo(rest.AsSpan(Header.Length));
            return i + 1;
        }

        return data.Length;
    }

    private int StatusCode()
    {
        if (_statusLineLength < _statusLine.Length)
        {
            return 0;
        }

        var code = 0;
        for (var i = 9; i < 12; i++)
        {
            var digit = _statusLine[i] - '0';
            if (digit is < 0 or > 9)
            {
                return 0;
            }

            code = code * 10 + digit;
        }

        return code;
    }
}
