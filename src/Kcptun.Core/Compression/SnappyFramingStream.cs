using Kcptun.IO;

namespace Kcptun.Compression;

/// <summary>
/// kcptun's compression layer (docs/protocol/snappy.md §9): a duplex stream that writes the snappy framing format the way
/// golang/snappy's buffered writer does when kcptun flushes it after every write, and reads any valid framed stream.
/// <list type="bullet">
/// <item>Writing: the stream identifier first; then each <c>Write</c> becomes its own chunk(s) at once, in pieces of at
/// most 65536 bytes, compressed (type 0x00) only when that saves at least one eighth, else stored (type 0x01), each
/// with the masked CRC-32C of the uncompressed bytes. A chunk goes to the inner stream in one write.</item>
/// <item>Reading: the stream identifier must come first; padding and skippable chunks are skipped; anything corrupt is
/// an <see cref="InvalidDataException"/>, and stays one for every later read.</item>
/// </list>
/// One read and one write may run at the same time (one of each). Snappier supplies the block codec; its own framing
/// stream is not used because it buffers writes and never emits stored chunks.
/// </summary>
public sealed partial class SnappyFramingStream : DuplexStream, IWriteReadiness
{
    /// <summary>Largest uncompressed piece per chunk.</summary>
    public const int MaxBlockSize = 65536;

    // Chunk header: type (1 byte), length of the rest (3 bytes LE). Data chunks start with the masked CRC (4 bytes LE).
    private const int ChunkHeaderSize = 4;
    private const int ChecksumSize = 4;
    private const byte ChunkCompressed = 0x00;
    private const byte ChunkUncompressed = 0x01;
    private const byte ChunkPadding = 0xFE;
    private const byte ChunkStreamIdentifier = 0xFF;

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>, which is disposed with this stream unless <paramref name="leaveOpen"/>.</summary>
    public SnappyFramingStream(Stream inner, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
    }

    /// <summary>"sNaPpY" stream identifier chunk, first on the wire in each direction.</summary>
    internal static ReadOnlySpan<byte> StreamIdentifier => [0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50, 0x70, 0x59];

    /// <inheritdoc/>
    public override bool CanRead => _disposed == 0 && _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => _disposed == 0 && _inner.CanWrite;

    /// <summary>The inner stream's readiness when it has one (a KCP session), else at once: a chunk is one inner write.</summary>
    public ValueTask WaitWritableAsync(CancellationToken cancellationToken) =>
        _inner is IWriteReadiness inner ? inner.WaitWritableAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>The inner stream's room (compressed chunks are no larger than what they carry, stored ones 8 bytes more), else unbounded.</summary>
    public int WritableBytes => _inner is IWriteReadiness inner ? inner.WritableBytes : int.MaxValue;

    /// <inheritdoc/>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _inner.Flush();
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _inner.FlushAsync(cancellationToken);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
