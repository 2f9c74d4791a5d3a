namespace Kcptun.Kcp;

/// <summary>
/// A per-control-block stack of equally sized segment buffers. Buffers are <see cref="BufferSize"/> bytes (at least
/// 1500, so segments from a peer with a larger MTU still fit); larger requests (only from a hostile or exotic peer)
/// are allocated and not retained. Not thread-safe: a control block is used under its owner's lock.
/// </summary>
/// <remarks>
/// Retention is bounded by <see cref="Limit"/>, which the control block keeps at what its windows can hold in
/// flight: with a smaller bound, a full window's ACKs return more buffers than fit, and the next window allocates
/// them again (at 2048/2048 windows that was 150 KB of garbage per MiB moved). Retained buffers never exceed the
/// peak the session had in use at once, since one is only created when the stack is empty. <see cref="Trim"/>
/// gives back the buffers no rent touched since the previous trim, so an idle session does not keep its peak.
/// </remarks>
internal sealed class SegmentBufferPool
{
    private const int InitialCapacity = 16;

    private byte[]?[] _stack = [];
    private int _count;
    private int _lowWater; // the fewest buffers retained since the last Trim

    public SegmentBufferPool(int bufferSize, int limit)
    {
        BufferSize = bufferSize;
        Limit = limit;
    }

    public int BufferSize { get; private set; }

    /// <summary>The most buffers kept for reuse; returns beyond it are left to the garbage collector.</summary>
    public int Limit { get; set; }

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
            _lowWater = Math.Min(_lowWater, _count);
            return buffer;
        }

        _lowWater = 0;
        return new byte[BufferSize];
    }

    public void Return(byte[]? buffer)
    {
        if (buffer is null || buffer.Length != BufferSize || _count >= Limit)
        {
            return;
        }

        if (_count == _stack.Length)
        {
            Array.Resize(ref _stack, Math.Min(Math.Max(InitialCapacity, _stack.Length * 2), Math.Max(Limit, 1)));
        }

        _stack[_count++] = buffer;
    }

    /// <summary>
    /// Drops the buffers that stayed unused since the previous call (the low-water mark of the stack) and shrinks the
    /// stack when it is mostly empty. Call periodically.
    /// </summary>
    public void Trim()
    {
        if (_lowWater > 0)
        {
            Array.Clear(_stack, _count - _lowWater, _lowWater);
            _count -= _lowWater;
        }

        if (_stack.Length > InitialCapacity && _count <= _stack.Length / 4)
        {
            Array.Resize(ref _stack, Math.Max(InitialCapacity, _count * 2));
        }

        _lowWater = _count;
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
        _stack = [];
        _count = 0;
        _lowWater = 0;
    }
}
