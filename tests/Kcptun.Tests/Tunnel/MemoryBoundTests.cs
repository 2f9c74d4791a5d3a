using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>Issue 16: the copy buffers stay bounded with many busy streams, and a burst's memory is given back.</summary>
public class MemoryBoundTests
{
    [Fact]
    public void Pipe_buffers_are_large_up_to_the_limit_and_small_beyond_it()
    {
        var rented = new List<byte[]>();
        try
        {
            // Other tests may hold a few large buffers meanwhile: rent well past the limit.
            for (var i = 0; i < PipeBuffers.LargeLimit + 64; i++)
            {
                rented.Add(PipeBuffers.Rent());
            }

            Assert.All(rented, b => Assert.True(b.Length is StreamPipe.BufferSize or PipeBuffers.SmallSize));
            Assert.InRange(rented.Count(b => b.Length == StreamPipe.BufferSize), 1, PipeBuffers.LargeLimit);
            Assert.True(rented.Count(b => b.Length == PipeBuffers.SmallSize) >= 64);
            Assert.True(PipeBuffers.LargeOut <= PipeBuffers.LargeLimit);
        }
        finally
        {
            rented.ForEach(PipeBuffers.Return);
        }

        var again = PipeBuffers.Rent();
        Assert.Equal(StreamPipe.BufferSize, again.Length);
        PipeBuffers.Return(again);
    }

    [Theory]
    [InlineData(2000, 0, true)]      // the 2,000-stream burst is over
    [InlineData(2000, 500, true)]    // three quarters closed
    [InlineData(2000, 501, false)]   // not yet
    [InlineData(255, 0, false)]      // too small to be worth a full collection
    [InlineData(256, 0, true)]
    [InlineData(10_000, 9_000, false)]
    public void A_trim_follows_a_burst_of_at_least_256_streams_of_which_three_quarters_closed(long highWater, long open, bool trim)
    {
        Assert.Equal(trim, MemoryTrim.ShouldTrim(highWater, open));
    }
}
