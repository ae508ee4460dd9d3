namespace MeshDev.Proxy.Tcp;

/// <summary>
/// One side of a relayed TCP connection: bytes in, bytes out, and a way to end the outgoing direction alone (a FIN,
/// TCP's half-close) while the incoming one goes on. TLS wraps a side by implementing this over its stream.
/// </summary>
public interface ITcpDuplex : IAsyncDisposable
{
    /// <returns>The number of bytes read; 0 once the peer has ended its direction.</returns>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends this side's outgoing direction once everything written has been sent; reading goes on.</summary>
    ValueTask ShutdownWriteAsync();

    /// <summary>Tears the connection down at once (a reset), for when the other side broke.</summary>
    void Abort();
}
