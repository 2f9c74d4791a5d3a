namespace Kcptun.Kcp;

/// <summary>
/// A bounded per-control-block stack of equally sized segment buffers. Buffers are <see cref="BufferSize"/> bytes
/// (at least 1500, so segments from a peer with a larger MTU still fit); larger requests (only from a hostile or
/// exotic peer) are allocated and not retained. Not thread-safe: a control block is used under its owner's lock.
/// </summary>
internal sealed class SegmentBufferPool
{
    /// <summary>Buffers kept for reuse; enough for the churn of a full 1024-segment window.</summary>
    public const int MaxRetained = 1024;

    private readonly byte[]?[] _stack = new byte[MaxRetained][];
    private int _count;

    public SegmentBufferPool(int bufferSize) => BufferSize = bufferSize;

    public int BufferSize { get; private set; }

    public int Retained => _count;

    public byte[] Rent(int length)
    {
        if (length == 0)
        {
            return [];
        }

        if (length > BufferSize)
        {
            return new byte[length];
        }

        if (_count > 0)
        {
            var buffer = _stack[--_count]!;
            _stack[_count] = null;
            return buffer;
        }

        return new byte[BufferSize];
    }

    public void Return(byte[]? buffer)
    {
        if (buffer is not null && buffer.Length == BufferSize && _count < MaxRetained)
        {
            _stack[_count++] = buffer;
        }
    }

    /// <summary>Switches to a new buffer size; retained buffers of the old size are dropped.</summary>
    public void Resize(int bufferSize)
    {
        if (bufferSize != BufferSize)
        {
            Clear();
            BufferSize = bufferSize;
        }
    }

    public void Clear()
    {
        Array.Clear(_stack, 0, _count);
        _count = 0;
    }
}
