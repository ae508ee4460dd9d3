namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>
/// An upstream HTTP/1.1 connection that serves at most a given number of requests (Istio's maxRequestsPerConnection,
/// Envoy's max_requests_per_connection). SocketsHttpHandler has no such limit, so the connection enforces it itself:
/// it counts the requests that use it (by <see cref="UpstreamRequestMark"/>) and marks the response to the last one
/// "Connection: close", which makes the handler close the connection after that response and send the next request on
/// a new one. Should a request still come after that (it cannot with SocketsHttpHandler today), the connection reads
/// as closed before anything was sent, which the handler takes as a stale pooled connection and retries elsewhere.
/// </summary>
public sealed class RequestLimitedStream(Stream inner, int maxRequests) : Stream
{
    private HttpRequestMessage? _currentRequest;
    private int _requests;
    private ConnectionCloseInjector? _closing;
    private byte[]? _pending;
    private int _pendingOffset;

    /// <summary>Requests that have used this connection.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!BeforeRead(buffer.Span, out var ready))
        {
            return ready;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        return AfterRead(buffer.Span[..read]);
    }

    public override int Read(Span<byte> buffer)
    {
        if (!BeforeRead(buffer, out var ready))
        {
            return ready;
        }

        var read = inner.Read(buffer);
        return AfterRead(buffer[..read]);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BeforeWrite();
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        BeforeWrite();
        inner.Write(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <returns>False when the read is answered without the socket: injected bytes, or end of stream.</returns>
    private bool BeforeRead(Span<byte> buffer, out int ready)
    {
        ready = 0;
        ObserveRequest();
        if (_pending is not null && buffer.Length > 0)
        {
            ready = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
            _pending.AsSpan(_pendingOffset, ready).CopyTo(buffer);
            _pendingOffset += ready;
            if (_pendingOffset == _pending.Length)
            {
                _pending = null;
            }

            return false;
        }

        // A request beyond the limit sees the connection closed before it sent a byte: SocketsHttpHandler then
        // drops the connection (when this is its check of an idle one) or retries the request on another.
        return _requests <= maxRequests;
    }

    private int AfterRead(Span<byte> read)
    {
        if (_closing is null || _closing.Done || read.Length == 0)
        {
            return read.Length;
        }

        var now = _closing.Process(read, out var rest);
        if (rest is { Length: > 0 })
        {
            _pending = rest;
            _pendingOffset = 0;
        }

        return now;
    }

    private void BeforeWrite()
    {
        ObserveRequest();
        if (_requests > maxRequests)
        {
            throw new IOException($"This upstream connection has served its {maxRequests} request(s) (maxRequestsPerConnection).");
        }
    }

    private void ObserveRequest()
    {
        var request = UpstreamRequestMark.Current;
        if (request is null || ReferenceEquals(request, _currentRequest))
        {
            return;
        }

        _currentRequest = request;
        if (Interlocked.Increment(ref _requests) == maxRequests)
        {
            // From here on the stream carries the last allowed request's response, which is read in full before the
            // connection could be used again (HTTP/1.1 does not pipeline).
            _closing = new ConnectionCloseInjector();
        }
    }
}
