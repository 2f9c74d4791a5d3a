using System.Buffers;
using System.Numerics;

namespace Kcptun.Smux;

/// <summary>
/// A stream's unread bytes: a circular buffer rented from <see cref="ArrayPool{T}.Shared"/> that doubles when a
/// payload does not fit and goes back to the pool when it drains while large (or when the stream closes). Appending a
/// frame is a copy, not an allocation. Not thread-safe: the owning stream guards it.
/// </summary>
internal struct ReceiveRing
{
    private const int MinimumCapacity = 4096;

    // Above this a drained buffer is returned, so an idle stream does not keep a burst's worth of memory.
    private const int RetainedCapacity = 65536;

    private byte[]? _buffer;
    private int _head;

    /// <summary>Bytes stored.</summary>
    public int Count { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer is null || Count + data.Length > _buffer.Length)
        {
            Grow(Count + data.Length);
        }

        var buffer = _buffer!;
        var tail = (_head + Count) & (buffer.Length - 1);
        var first = Math.Min(data.Length, buffer.Length - tail);
        data[..first].CopyTo(buffer.AsSpan(tail));
        data[first..].CopyTo(buffer);
        Count += data.Length;
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length bytes out; returns how many.</summary>
    public int Take(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, Count);
        if (count == 0)
        {
            return 0;
        }

        var buffer = _buffer!;
        var first = Math.Min(count, buffer.Length - _head);
        buffer.AsSpan(_head, first).CopyTo(destination);
        buffer.AsSpan(0, count - first).CopyTo(destination[first..]);
        _head = (_head + count) & (buffer.Length - 1);
        Count -= count;
        if (Count == 0)
        {
            _head = 0;
            if (buffer.Length > RetainedCapacity)
            {
                Release();
            }
        }

        return count;
    }

    /// <summary>Drops every byte and returns the storage; returns how many bytes were dropped.</summary>
    public int Clear()
    {
        var dropped = Count;
        Count = 0;
        _head = 0;
        Release();
        return dropped;
    }

    private void Grow(int needed)
    {
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(needed, MinimumCapacity));
        var larger = ArrayPool<byte>.Shared.Rent(capacity);
        if (!BitOperations.IsPow2(larger.Length))
        {
            // The shared pool hands out power-of-two arrays; be safe if it ever does not.
            ArrayPool<byte>.Shared.Return(larger);
            larger = new byte[capacity];
        }

        if (_buffer is not null)
        {
            var first = Math.Min(Count, _buffer.Length - _head);
            _buffer.AsSpan(_head, first).CopyTo(larger);
            _buffer.AsSpan(0, Count - first).CopyTo(larger.AsSpan(first));
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
        _head = 0;
    }

    private void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
