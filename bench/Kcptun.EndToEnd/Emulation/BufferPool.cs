namespace Kcptun.EndToEnd.Emulation;

/// <summary>
/// A bounded pool of equal-sized datagram buffers. <see cref="Rent"/> always succeeds (receive loops need a buffer
/// to read into); <see cref="TryRentExtra"/> refuses once <c>limit</c> buffers are out, which bounds the memory
/// held by the delivery queue.
/// </summary>
public sealed class BufferPool
{
    private readonly Stack<byte[]> _free = new();
    private readonly Lock _gate = new();
    private readonly int _size;
    private readonly int _limit;
    private int _outstanding;

    /// <summary>
    /// Creates a pool of <paramref name="size"/>-byte buffers, at most <paramref name="limit"/> out at once, with
    /// <paramref name="preallocate"/> of them made up front (so a steady state allocates nothing).
    /// </summary>
    public BufferPool(int size, int limit, int preallocate = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(preallocate);
        _size = size;
        _limit = limit;
        for (var i = 0; i < Math.Min(preallocate, limit); i++)
        {
            _free.Push(new byte[size]);
        }
    }

    /// <summary>Buffers currently rented.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Rents a buffer, allocating when the pool is empty.</summary>
    public byte[] Rent()
    {
        lock (_gate)
        {
            _outstanding++;
            return _free.Count > 0 ? _free.Pop() : new byte[_size];
        }
    }

    /// <summary>Rents a buffer unless <c>limit</c> are already out.</summary>
    public byte[]? TryRentExtra()
    {
        lock (_gate)
        {
            if (_outstanding >= _limit)
            {
                return null;
            }

            _outstanding++;
            return _free.Count > 0 ? _free.Pop() : new byte[_size];
        }
    }

    /// <summary>Gives a buffer back.</summary>
    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_gate)
        {
            _outstanding--;
            if (buffer.Length == _size && _free.Count < _limit)
            {
                _free.Push(buffer);
            }
        }
    }
}
