using System.Buffers;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Outbound;

/// <summary>
/// A request body read straight from the client, whose bytes are also kept (up to a limit) so that a retry can send
/// them again: after <see cref="Rewind"/> a reader gets the kept bytes first and then whatever the client has not sent
/// yet, so a retry works whether the failed try had read all of the body, part of it, or none. Reads are never delayed:
/// each returns what the client has sent, as a plain pass-through would.
/// </summary>
public sealed class RecordingRequestBody(Stream source, int limit, Counter? abandoned) : Stream
{
    private byte[]? _kept = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 4096));
    private int _keptLength;
    private int _position;

    /// <summary>False once the body outgrew the limit: what was sent of it cannot be sent again.</summary>
    public bool CanReplay => _kept is not null;

    /// <summary>Bytes kept so far.</summary>
    public int KeptLength => _keptLength;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Starts the next reader at the first byte of the body again.</summary>
    /// <exception cref="InvalidOperationException">The body outgrew the limit.</exception>
    public void Rewind()
    {
        if (_kept is null)
        {
            throw new InvalidOperationException($"The request body outgrew the {limit}-byte retry buffer and cannot be replayed.");
        }

        _position = 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryReplay(buffer.Span, out var replayed))
        {
            return replayed;
        }

        var read = await source.ReadAsync(buffer, cancellationToken);
        Keep(buffer.Span[..read]);
        return read;
    }

    public override int Read(Span<byte> buffer)
    {
        if (TryReplay(buffer, out var replayed))
        {
            return replayed;
        }

        var read = source.Read(buffer);
        Keep(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Release();
        }

        base.Dispose(disposing);
    }

    private bool TryReplay(Span<byte> destination, out int count)
    {
        count = 0;
        if (_kept is null || _position >= _keptLength || destination.Length == 0)
        {
            return false;
        }

        count = Math.Min(destination.Length, _keptLength - _position);
        _kept.AsSpan(_position, count).CopyTo(destination);
        _position += count;
        return true;
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_kept is null || data.Length == 0)
        {
            return;
        }

        if (_keptLength + data.Length > limit)
        {
            Release();
            abandoned?.Increment();
            return;
        }

        if (_keptLength + data.Length > _kept.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(_kept.Length * 2, _keptLength + data.Length)));
            _kept.AsSpan(0, _keptLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_kept);
            _kept = larger;
        }

        data.CopyTo(_kept.AsSpan(_keptLength));
        _keptLength += data.Length;
        _position = _keptLength;
    }

    private void Release()
    {
        if (_kept is not null)
        {
            ArrayPool<byte>.Shared.Return(_kept);
            _kept = null;
        }
    }
}
