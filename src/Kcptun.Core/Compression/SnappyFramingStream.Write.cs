using System.Buffers.Binary;
using Snappier;
using System.Runtime.CompilerServices;

namespace Kcptun.Compression;

public sealed partial class SnappyFramingStream
{
    // Stream identifier + chunk header + checksum + worst-case compressed block.
    private readonly byte[] _writeBuffer = new byte[10 + ChunkHeaderSize + ChecksumSize + Snappy.GetMaxCompressedLength(MaxBlockSize)];
    private bool _wroteStreamIdentifier;

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (!buffer.IsEmpty)
        {
            var piece = buffer[..Math.Min(buffer.Length, MaxBlockSize)];
            _inner.Write(_writeBuffer, 0, EncodeChunk(piece));
            buffer = buffer[piece.Length..];
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (!buffer.IsEmpty)
        {
            var piece = buffer[..Math.Min(buffer.Length, MaxBlockSize)];
            var length = EncodeChunk(piece.Span);
            await _inner.WriteAsync(_writeBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            buffer = buffer[piece.Length..];
        }
    }

    /// <summary>Encodes one piece (at most 65536 bytes) into the write buffer; returns the byte count to send.</summary>
    private int EncodeChunk(ReadOnlySpan<byte> piece)
    {
        var output = _writeBuffer.AsSpan();
        var position = 0;
        if (!_wroteStreamIdentifier)
        {
            StreamIdentifier.CopyTo(output);
            position = StreamIdentifier.Length;
            _wroteStreamIdentifier = true;
        }

        var header = output.Slice(position, ChunkHeaderSize + ChecksumSize);
        var body = output[(position + ChunkHeaderSize + ChecksumSize)..];
        var compressedLength = Snappy.Compress(piece, body);

        // golang/snappy stores the piece unless compression saves at least one eighth.
        byte type;
        int bodyLength;
        if (compressedLength < piece.Length - (piece.Length / 8))
        {
            type = ChunkCompressed;
            bodyLength = compressedLength;
        }
        else
        {
            type = ChunkUncompressed;
            bodyLength = piece.Length;
            piece.CopyTo(body);
        }

        var chunkLength = ChecksumSize + bodyLength;
        header[0] = type;
        header[1] = (byte)chunkLength;
        header[2] = (byte)(chunkLength >> 8);
        header[3] = (byte)(chunkLength >> 16);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ChunkHeaderSize..], Crc32C.ComputeMasked(piece));
        return position + ChunkHeaderSize + chunkLength;
    }
}
