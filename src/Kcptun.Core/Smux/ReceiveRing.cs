using System.Buffers;

namespace Kcptun.Smux;

/// <summary>
/// A stream's unread bytes: a queue of fixed-size chunks rented from <see cref="ArrayPool{T}.Shared"/>. Appending a
/// frame copies it into the tail chunk (renting another when full), taking copies out of the head chunk and returns
/// every chunk it empties, so bytes are copied exactly once in and once out: no regrowth copies, and a bulk flow
/// that drains the stream on every read does not re-rent a growing buffer each time. A drained stream keeps one
/// chunk (<see cref="ChunkSize"/> bytes) for the next frame; <see cref="Clear"/> returns everything. Not
/// thread-safe: the owning stream guards it.
/// </summary>
internal struct ReceiveRing
{
    /// <summary>Bytes per chunk.</summary>
    internal const int ChunkSize = 16384;

    private Queue<byte[]>? _chunks;
    private byte[]? _tail;
    private int _headOffset; // read position in the head chunk
    private int _tailLength; // bytes written into the tail chunk

    /// <summary>Bytes stored.</summary>
    public int Count { get; private set; }

    /// <summary>Chunks held (tests and diagnostics).</summary>
    internal readonly int ChunkCount => _chunks?.Count ?? 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        _chunks ??= new Queue<byte[]>();
        while (!data.IsEmpty)
        {
            if (_tail is null || _tailLength == _tail.Length)
            {
                _tail = ArrayPool<byte>.Shared.Rent(ChunkSize);
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
                // Drained: keep the chunk for the next frame.
                _headOffset = 0;
                _tailLength = 0;
                break;
            }

            ArrayPool<byte>.Shared.Return(_chunks.Dequeue());
            _headOffset = 0;
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
