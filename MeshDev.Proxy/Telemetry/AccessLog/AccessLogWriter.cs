using System.Text;
using System.Threading.Channels;

namespace MeshDev.Proxy.Telemetry.AccessLog;

/// <summary>
/// Writes access log lines to stdout off the request path: a request only queues its entry; formatting and writing
/// happen here, every <see cref="FlushInterval"/> (Envoy flushes its access logs on an interval too), in batches of
/// whole lines, each batch in one write, so lines never interleave with the proxy's other console output. When
/// stdout cannot keep up, entries beyond the queue are dropped (and counted) rather than slowing traffic down.
/// </summary>
public sealed class AccessLogWriter : BackgroundService
{
    /// <summary>How long entries may wait to be written; waking per entry would cost every request a thread hop.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private const int QueueCapacity = 10_000;
    private const int BatchCharacters = 3_500;

    private readonly Channel<AccessLogEntry> _entries = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _output;
    private readonly Func<AccessLogEntry, string> _format;
    private long _dropped;

    public AccessLogWriter(Configuration.ProxyOptions options)
        : this(StandardOutput(), options.Telemetry.AccessLog == Configuration.AccessLogFormat.Json ? AccessLogFormatter.Json : AccessLogFormatter.Text)
    {
    }

    public AccessLogWriter(TextWriter output, Func<AccessLogEntry, string> format)
    {
        _output = output;
        _format = format;
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(AccessLogEntry entry)
    {
        if (!_entries.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new StringBuilder(BatchCharacters + 512);
        try
        {
            while (await _entries.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_entries.Reader.TryRead(out var entry))
                {
                    batch.Append(_format(entry)).Append('\n');
                    if (batch.Length >= BatchCharacters)
                    {
                        Flush(batch);
                    }
                }

                Flush(batch);
                await Task.Delay(FlushInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Lines of requests that finished before the stop are still written.
        while (_entries.Reader.TryRead(out var rest))
        {
            batch.Append(_format(rest)).Append('\n');
        }

        Flush(batch);
    }

    /// <summary>
    /// stdout with a buffer that holds a whole batch, so that a batch leaves in one write (Console.Out would cut it
    /// into 256-byte writes). One write of whole lines is what keeps them from interleaving with other output.
    /// </summary>
    private static TextWriter StandardOutput() =>
        new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024) { AutoFlush = false };

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
