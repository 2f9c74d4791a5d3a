using Kcptun.IO;
using System.Buffers;

namespace Kcptun.Crypto;

/// <summary>
/// Wraps a duplex stream (an smux stream) with QPP: writes are encrypted before they reach the inner stream, reads
/// are decrypted after. Each direction has its own <see cref="QppTransform"/>; one reader and one writer may run
/// concurrently, as on any duplex stream.
/// </summary>
public sealed class QppStream : DuplexStream
{
    private const int MaxScratch = 64 * 1024;

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly QppTransform _writer;
    private readonly QppTransform _reader;

    /// <summary>Wraps <paramref name="inner"/>; both directions start from the pad set's initial PRNG state.</summary>
    public QppStream(Stream inner, QuantumPermutationPad pads, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(pads);
        _inner = inner;
        _leaveOpen = leaveOpen;
        _writer = pads.CreateTransform();
        _reader = pads.CreateTransform();
    }

    /// <inheritdoc/>
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => _inner.CanWrite;

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        _reader.Decrypt(buffer[..n]);
        return n;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _reader.Decrypt(buffer.Span[..n]);
        return n;
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, MaxScratch));
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, scratch.Length);
                Span<byte> chunk = scratch.AsSpan(0, n);
                buffer[..n].CopyTo(chunk);
                _writer.Encrypt(chunk);
                _inner.Write(chunk);
                buffer = buffer[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, MaxScratch));
        try
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, scratch.Length);
                buffer.Span[..n].CopyTo(scratch);
                _writer.Encrypt(scratch.AsSpan(0, n));
                await _inner.WriteAsync(scratch.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <inheritdoc/>
    public override void Flush() => _inner.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
