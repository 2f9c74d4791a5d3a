using System.Numerics;

namespace Kcptun.Kcp;

/// <summary>A growable power-of-two ring of <see cref="KcpSegment"/> with by-ref access; grows, never shrinks.</summary>
internal sealed class SegmentRing
{
    private KcpSegment[] _items;
    private int _head;
    private int _count;

    public SegmentRing(int initialCapacity) => _items = new KcpSegment[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(initialCapacity, 4))];

    public int Count => _count;

    /// <summary>The i-th segment from the front (no range check beyond the array's).</summary>
    public ref KcpSegment this[int index] => ref _items[(_head + index) & (_items.Length - 1)];

    public ref KcpSegment Front => ref _items[_head];

    public ref KcpSegment Back => ref _items[(_head + _count - 1) & (_items.Length - 1)];

    public void PushBack(in KcpSegment segment)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = segment;
        _count++;
    }

    public void PopFront()
    {
        _items[_head] = default;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
    }

    private void Grow()
    {
        var larger = new KcpSegment[_items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = this[i];
        }

        _items = larger;
        _head = 0;
    }
}
