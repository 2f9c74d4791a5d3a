using System.Buffers;

namespace Kcptun.Smux;

/// <summary>
/// A stream's unread bytes: a queue of chunks (up to <see cref="ChunkSize"/> bytes each) rented from
/// <see cref="ArrayPool{T}.Shared"/>. Appending a frame copies it into the tail chunk (renting another when full),
/// taking copies out of the head chunk and returns every chunk it empties, so bytes are copied exactly once in and
/// once out: no regrowth copies, and a bulk flow that drains the stream on every read does not re-rent a growing
/// buffer each time. A drained ring keeps its last chunk until <see cref="ReleaseIfEmpty"/> (the stream waits for
/// data); <see cref="Clear"/> returns everything. Not thread-safe: the owning stream guards it.
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

            if (ReferenceEquals(head, _tail))
            {
                // Drained: a busy stream keeps the chunk for the next frame; ReleaseIfEmpty gives it back.
                _headOffset = 0;
                _tailLength = 0;
                break;
            }

            ArrayPool<byte>.Shared.Return(_chunks.Dequeue());
            _headOffset = 0;
        }

        return taken;
    }

    /// <summary>Returns the kept chunk of a drained ring to the pool (a stream about to wait for data).</summary>
    public void ReleaseIfEmpty()
    {
        if (Count == 0)
        {
            Clear();
        }
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
