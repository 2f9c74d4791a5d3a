using Kcptun.Kcp;

namespace Kcptun.Tests.Kcp;

public sealed class SegmentBufferPoolTests
{
    [Fact]
    public void Reuses_returned_buffers_up_to_the_limit()
    {
        var pool = new SegmentBufferPool(1500, limit: 3);
        var rented = Enumerable.Range(0, 5).Select(_ => pool.Rent(100)).ToList();
        Assert.All(rented, b => Assert.Equal(1500, b.Length));
        rented.ForEach(pool.Return);
        Assert.Equal(3, pool.Retained);

        var again = pool.Rent(1400);
        Assert.Contains(rented, b => ReferenceEquals(b, again));
        Assert.Equal(2, pool.Retained);
    }

    [Fact]
    public void Oversized_and_foreign_buffers_are_not_retained()
    {
        var pool = new SegmentBufferPool(1500, limit: 8);
        var big = pool.Rent(3000);
        Assert.Equal(3000, big.Length);
        pool.Return(big);
        pool.Return(new byte[100]);
        pool.Return(null);
        Assert.Equal(0, pool.Retained);
        Assert.Empty(pool.Rent(0));
    }

    [Fact]
    public void Trim_gives_back_only_what_no_rent_needed_since_the_last_trim()
    {
        var pool = new SegmentBufferPool(1500, limit: 100);
        var rented = Enumerable.Range(0, 10).Select(_ => pool.Rent(1)).ToList();
        rented.ForEach(pool.Return);
        pool.Trim(); // a rent found the stack empty in this period: nothing was idle
        Assert.Equal(10, pool.Retained);

        // Next period: at most 4 in use at once, so 6 sat idle throughout.
        for (var round = 0; round < 3; round++)
        {
            var burst = Enumerable.Range(0, 4).Select(_ => pool.Rent(1)).ToList();
            burst.ForEach(pool.Return);
        }

        pool.Trim();
        Assert.Equal(4, pool.Retained);

        pool.Trim(); // untouched for a whole period: all go
        Assert.Equal(0, pool.Retained);
    }

    [Fact]
    public void A_lower_limit_stops_retaining_and_resize_drops_the_old_size()
    {
        var pool = new SegmentBufferPool(1500, limit: 10);
        var rented = Enumerable.Range(0, 6).Select(_ => pool.Rent(1)).ToList();
        pool.Limit = 2;
        rented.ForEach(pool.Return);
        Assert.Equal(2, pool.Retained);

        pool.Resize(2000);
        Assert.Equal(0, pool.Retained);
        Assert.Equal(2000, pool.Rent(1).Length);
    }
}
