using System.Text;
using System.Threading.Channels;

namespace MeshDev.Proxy.Telemetry.AccessLog;

/// <summary>
/// Writes access log lines to stdout off the request path. Lines are queued and written in batches of whole lines,
/// each batch in one write, so they never interleave with the proxy's other console output. When stdout cannot keep
/// up, lines beyond the queue are dropped (and counted) rather than slowing traffic down.
/// </summary>
public sealed class AccessLogWriter : BackgroundService
{
    private const int QueueCapacity = 10_000;
    private const int BatchCharacters = 3_500;

    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _output;
    private long _dropped;

    public AccessLogWriter() : this(Console.Out)
    {
    }

    public AccessLogWriter(TextWriter output) => _output = output;

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new StringBuilder(BatchCharacters + 512);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    batch.Append(line).Append('\n');
                    if (batch.Length >= BatchCharacters)
                    {
                        Flush(batch);
                    }
                }

                Flush(batch);
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Lines of requests that finished before the stop are still written.
        while (_lines.Reader.TryRead(out var rest))
        {
            batch.Append(rest).Append('\n');
        }

        Flush(batch);
    }

    private void Flush(StringBuilder batch)
    {
        if (batch.Length == 0)
        {
            return;
        }

        _output.Write(batch.ToString());
        _output.Flush();
        batch.Clear();
    }
}
