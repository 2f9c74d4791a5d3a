using System.Buffers;

namespace Kcptun.Smux;

/// <summary>
/// A stream's unread bytes: a queue of chunks (up to <see cref="ChunkSize"/> bytes each) rented from
/// <see cref="ArrayPool{T}.Shared"/>. Appending a frame copies it into the tail chunk (renting another when full),
/// taking copies out of the head chunk and returns
/// every chunk it empties, so bytes are copied exactly once in and once out: no regrowth copies, and a bulk flow
/// that drains the stream on every read does not re-rent a growing buffer each time. A drained ring holds no chunk;
/// <see cref="Clear"/> returns everything. Not thread-safe: the owning stream guards it.
/// </summary>
internal struct ReceiveRing
{
    /// <summary>Bytes per chunk.</summary>
    internal const int ChunkSize = 16384;

    /// <summary>Smallest chunk, for small frames.</summary>
    internal const int MinimumChunkSize = 1024;

    private Queue<byte[]>? _chunks;
    private byte[]? _tail;
    private int _headOffset; // read position in the head chunk
    private int _tailLength; // bytes written into the tail chunk

    /// <summary>Bytes stored.</summary>
    public int Count { get; private set; }

    /// <summary>Chunks held (tests and diagnostics).</summary>
    internal readonly int ChunkCount => _chunks?.Count ?? 0;

    /// <summary>Bytes of all chunks held (tests and diagnostics).</summary>
    internal readonly int Capacity => _chunks?.Sum(chunk => chunk.Length) ?? 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        _chunks ??= new Queue<byte[]>();
        while (!data.IsEmpty)
        {
            if (_tail is null || _tailLength == _tail.Length)
            {
                // Sized to the data and the backlog, up to a full chunk: a 40-byte request does not take 16 KiB
                // while it waits, and a growing backlog soon gets full chunks.
                _tail = ArrayPool<byte>.Shared.Rent(Math.Clamp(Math.Max(data.Length, Count), MinimumChunkSize, ChunkSize));
                _tailLength = 0;
                _chunks.Enqueue(_tail);
            }

            var n = Math.Min(data.Length, _tail.Length - _tailLength);
            data[..n].CopyTo(_tail.AsSpan(_tailLength));
            _tailLength += n;
            Count += n;
            data = data[n..];
        }
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length bytes out; returns how many.</summary>
    public int Take(Span<byte> destination)
    {
        var taken = 0;
        while (taken < destination.Length && Count > 0)
        {
            var head = _chunks!.Peek();
            var end = ReferenceEquals(head, _tail) ? _tailLength : head.Length;
            var n = Math.Min(destination.Length - taken, end - _headOffset);
            head.AsSpan(_headOffset, n).CopyTo(destination[taken..]);
            taken += n;
            _headOffset += n;
            Count -= n;
            if (_headOffset < end)
            {
                break; // destination full
            }

            // Emptied: back to the pool, the tail too, so an idle stream holds no chunk (renting the next one from
            // the pool's per-thread cache costs less than keeping 16 KiB for every quiet stream).
            ArrayPool<byte>.Shared.Return(_chunks.Dequeue());
            _headOffset = 0;
            if (ReferenceEquals(head, _tail))
            {
                _tail = null;
                _tailLength = 0;
                break;
            }
        }

        return taken;
    }

    /// <summary>Drops every byte and returns the storage; returns how many bytes were dropped.</summary>
    public int Clear()
    {
        var dropped = Count;
        if (_chunks is not null)
        {
            while (_chunks.TryDequeue(out var chunk))
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
        }

        _tail = null;
        _headOffset = 0;
        _tailLength = 0;
        Count = 0;
        return dropped;
    }
}
