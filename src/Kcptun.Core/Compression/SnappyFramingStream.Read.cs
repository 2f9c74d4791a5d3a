using System.Buffers.Binary;
using Snappier;
using System.Runtime.CompilerServices;

namespace Kcptun.Compression;

public sealed partial class SnappyFramingStream
{
    // golang/snappy: the largest chunk body is the worst-case encoding of a 65536-byte block plus the checksum.
    private const int MaxChunkLength = 32 + MaxBlockSize + (MaxBlockSize / 6) + ChecksumSize;

    private readonly byte[] _readBuffer = new byte[1 << 17];
    private readonly byte[] _decoded = new byte[MaxBlockSize];
    private int _readStart;
    private int _readEnd;
    private int _decodedStart;
    private int _decodedEnd;
    private int _needed;
    private bool _sawStreamIdentifier;
    private string? _readError;

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var read = TryDecode(buffer);
            if (read >= 0)
            {
                return read;
            }

            PrepareFill();
            var received = _inner.Read(_readBuffer, _readEnd, _readBuffer.Length - _readEnd);
            if (received <= 0)
            {
                return EndOfInput();
            }

            _readEnd += received;
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var read = TryDecode(buffer.Span);
            if (read >= 0)
            {
                return read;
            }

            PrepareFill();
            var received = await _inner.ReadAsync(_readBuffer.AsMemory(_readEnd), cancellationToken).ConfigureAwait(false);
            if (received <= 0)
            {
                return EndOfInput();
            }

            _readEnd += received;
        }
    }

    /// <summary>Returns decoded bytes (0 only for an empty destination), or -1 when more input is needed.</summary>
    private int TryDecode(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_readError is not null)
        {
            throw new InvalidDataException(_readError);
        }

        if (destination.IsEmpty)
        {
            return 0;
        }

        if (_decodedEnd > _decodedStart)
        {
            return CopyDecoded(destination);
        }

        while (true)
        {
            var available = _readEnd - _readStart;
            if (available < ChunkHeaderSize)
            {
                _needed = ChunkHeaderSize;
                return -1;
            }

            var header = _readBuffer.AsSpan(_readStart, ChunkHeaderSize);
            var type = header[0];
            var length = header[1] | (header[2] << 8) | (header[3] << 16);
            if (length > MaxChunkLength)
            {
                return Fail($"snappy: chunk length {length} exceeds the maximum {MaxChunkLength}");
            }

            if (!_sawStreamIdentifier && type != ChunkStreamIdentifier)
            {
                return Fail($"snappy: corrupt input: the stream starts with chunk type 0x{type:x2}, not the stream identifier");
            }

            if (available < ChunkHeaderSize + length)
            {
                _needed = ChunkHeaderSize + length;
                return -1;
            }

            var body = _readBuffer.AsSpan(_readStart + ChunkHeaderSize, length);
            _readStart += ChunkHeaderSize + length;
            int decoded;
            switch (type)
            {
                case ChunkCompressed:
                    decoded = DecodeCompressed(body, destination);
                    break;
                case ChunkUncompressed:
                    decoded = DecodeUncompressed(body, destination);
                    break;
                case ChunkStreamIdentifier:
                    if (!body.SequenceEqual(StreamIdentifier[ChunkHeaderSize..]))
                    {
                        return Fail("snappy: corrupt input: bad stream identifier chunk");
                    }

                    _sawStreamIdentifier = true;
                    continue;
                case >= 0x02 and <= 0x7F:
                    return Fail($"snappy: unsupported unskippable chunk type 0x{type:x2}");
                default:
                    continue; // padding (0xFE) and reserved skippable chunks (0x80-0xFD)
            }

            if (decoded != 0)
            {
                return decoded;
            }

            // An empty data chunk: nothing to return, keep going (0 would mean end of stream).
        }
    }

    private int DecodeCompressed(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        if (body.Length < ChecksumSize)
        {
            return Fail("snappy: corrupt input: compressed chunk shorter than its checksum");
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(body);
        var block = body[ChecksumSize..];
        int length;
        try
        {
            length = Snappy.GetUncompressedLength(block);
        }
        catch (InvalidDataException)
        {
            return Fail("snappy: corrupt input: bad block length");
        }

        // Snappier returns a length varint past int.MaxValue as a negative int instead of refusing it.
        if (length < 0)
        {
            return Fail("snappy: corrupt input: bad block length");
        }

        if (length > MaxBlockSize)
        {
            return Fail($"snappy: corrupt input: block decodes to {length} bytes, more than {MaxBlockSize}");
        }

        // Straight into the caller's buffer when it fits, else through the decode buffer.
        var direct = destination.Length >= length;
        var target = direct ? destination[..length] : _decoded.AsSpan(0, length);
        bool decoded;
        int written;
        try
        {
            decoded = Snappy.TryDecompress(block, target, out written);
        }
        catch (InvalidDataException)
        {
            decoded = false;
            written = 0;
        }

        if (!decoded || written != length)
        {
            return Fail("snappy: corrupt input: bad compressed block");
        }

        if (Crc32C.ComputeMasked(target) != expected)
        {
            return Fail("snappy: corrupt input: checksum mismatch in a compressed chunk");
        }

        if (direct)
        {
            return length;
        }

        _decodedStart = 0;
        _decodedEnd = length;
        return CopyDecoded(destination);
    }

    private int DecodeUncompressed(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        if (body.Length < ChecksumSize)
        {
            return Fail("snappy: corrupt input: uncompressed chunk shorter than its checksum");
        }

        var data = body[ChecksumSize..];
        if (data.Length > MaxBlockSize)
        {
            return Fail($"snappy: corrupt input: uncompressed chunk of {data.Length} bytes, more than {MaxBlockSize}");
        }

        if (Crc32C.ComputeMasked(data) != BinaryPrimitives.ReadUInt32LittleEndian(body))
        {
            return Fail("snappy: corrupt input: checksum mismatch in an uncompressed chunk");
        }

        if (destination.Length >= data.Length)
        {
            data.CopyTo(destination);
            return data.Length;
        }

        data.CopyTo(_decoded);
        _decodedStart = 0;
        _decodedEnd = data.Length;
        return CopyDecoded(destination);
    }

    private int CopyDecoded(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _decodedEnd - _decodedStart);
        _decoded.AsSpan(_decodedStart, count).CopyTo(destination);
        _decodedStart += count;
        return count;
    }

    /// <summary>Makes room so that <see cref="_needed"/> bytes from <see cref="_readStart"/> fit in the buffer.</summary>
    private void PrepareFill()
    {
        if (_readStart == _readEnd)
        {
            _readStart = _readEnd = 0;
        }
        else if (_readBuffer.Length - _readStart < _needed || _readEnd == _readBuffer.Length)
        {
            var unread = _readEnd - _readStart;
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, unread);
            _readStart = 0;
            _readEnd = unread;
        }
    }

    private int EndOfInput()
    {
        if (_readEnd == _readStart)
        {
            return 0;
        }

        Fail("snappy: unexpected end of stream in the middle of a chunk");
        return 0;
    }

    private int Fail(string message)
    {
        _readError = message;
        throw new InvalidDataException(message);
    }
}
