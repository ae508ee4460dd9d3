namespace MeshDev.Proxy.Forwarding.ConnectionLimits;

/// <summary>
/// HTTP/2 upstream connections that each carry at most a given number of requests (streams). An HTTP/2 client
/// multiplexes every request to a destination on one connection, and no stream-level wrapper can move a request off
/// it without risking it being sent twice; so instead each destination gets a succession of handlers that each keep
/// exactly one connection (EnableMultipleHttp2Connections off). A handler takes the limit's worth of requests, then
/// the next request goes to a fresh handler, and the used one is disposed — closing its connection — as soon as the
/// last of its responses has been read to the end.
/// </summary>
public sealed class Http2RequestLimitedHandler(Func<SocketsHttpHandler> createHandler, int maxRequestsPerConnection) : HttpMessageHandler
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ConnectionGeneration> _current = new(StringComparer.OrdinalIgnoreCase);
    private bool _disposed;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var generation = Take(request.RequestUri?.GetLeftPart(UriPartial.Authority)
            ?? throw new InvalidOperationException("An upstream request needs an absolute URI."));
        HttpResponseMessage response;
        try
        {
            response = await generation.Invoker.SendAsync(request, cancellationToken);
        }
        catch
        {
            generation.Finished();
            throw;
        }

        // The connection carries the response body (and, for a bidirectional call, the rest of the request) until the
        // caller disposes the response; only then may a used-up connection close.
        response.Content = new ReleasingContent(response.Content, generation);
        return response;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                foreach (var generation in _current.Values)
                {
                    generation.Retire();
                }

                _current.Clear();
            }
        }

        base.Dispose(disposing);
    }

    private ConnectionGeneration Take(string destination)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_current.TryGetValue(destination, out var generation))
            {
                var handler = createHandler();
                handler.EnableMultipleHttp2Connections = false;
                generation = new ConnectionGeneration(new HttpMessageInvoker(handler, disposeHandler: true));
                _current[destination] = generation;
            }

            if (generation.Started() == maxRequestsPerConnection)
            {
                // Its last request: the next one opens a new connection, and this one closes once its requests end.
                _current.Remove(destination);
                generation.Retire();
            }

            return generation;
        }
    }

    /// <summary>One handler, one connection to one destination, and the requests it has carried.</summary>
    private sealed class ConnectionGeneration(HttpMessageInvoker invoker)
    {
        private int _started;
        private int _inFlight;
        private int _retired;
        private int _disposed;

        public HttpMessageInvoker Invoker { get; } = invoker;

        /// <returns>Requests started on this connection, this one included.</returns>
        public int Started()
        {
            Interlocked.Increment(ref _inFlight);
            return Interlocked.Increment(ref _started);
        }

        public void Finished()
        {
            if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _retired) == 1)
            {
                Close();
            }
        }

        public void Retire()
        {
            Volatile.Write(ref _retired, 1);
            if (Volatile.Read(ref _inFlight) == 0)
            {
                Close();
            }
        }

        private void Close()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Invoker.Dispose();
            }
        }
    }

    /// <summary>The upstream response body as it is, telling its connection generation when the caller is done with it.</summary>
    private sealed class ReleasingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private ConnectionGeneration? _generation;

        public ReleasingContent(HttpContent inner, ConnectionGeneration generation)
        {
            _inner = inner;
            _generation = generation;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
            _inner.CopyToAsync(stream, context, cancellationToken);

        protected override Task<Stream> CreateContentReadStreamAsync() => _inner.ReadAsStreamAsync();

        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => _inner.ReadAsStreamAsync(cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? 0;
            return _inner.Headers.ContentLength is not null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                Interlocked.Exchange(ref _generation, null)?.Finished();
            }

            base.Dispose(disposing);
        }
    }
}
