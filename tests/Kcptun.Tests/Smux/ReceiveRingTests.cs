using Kcptun.Smux;

namespace Kcptun.Tests.Smux;

public class ReceiveRingTests
{
    [Fact]
    public void Random_appends_and_takes_match_a_queue_oracle()
    {
        var random = new Random(3);
        var ring = new ReceiveRing();
        var oracle = new Queue<byte>();
        for (var step = 0; step < 2000; step++)
        {
            if (random.Next(2) == 0)
            {
                var data = new byte[random.Next(0, random.Next(2) == 0 ? 100 : 20000)];
                random.NextBytes(data);
                ring.Append(data);
                foreach (var value in data)
                {
                    oracle.Enqueue(value);
                }
            }
            else
            {
                var destination = new byte[random.Next(0, 30000)];
                var taken = ring.Take(destination);
                Assert.Equal(Math.Min(destination.Length, oracle.Count), taken);
                var expected = new byte[taken];
                for (var i = 0; i < taken; i++)
                {
                    expected[i] = oracle.Dequeue();
                }

                Assert.True(expected.AsSpan().SequenceEqual(destination.AsSpan(0, taken)), "bytes differ at step " + step);
            }

            Assert.Equal(oracle.Count, ring.Count);
            // Chunks are returned as they empty: never more than the bytes need (plus a partly read head and tail).
            Assert.True(ring.Capacity <= ring.Count + (2 * ReceiveRing.ChunkSize), $"{ring.Capacity} bytes of chunks hold {ring.Count} bytes");
        }

        Assert.Equal(oracle.Count, ring.Clear());
        Assert.Equal(0, ring.Count);
        Assert.Equal(0, ring.Take(new byte[10]));
        Assert.Equal(0, ring.ChunkCount);
    }

    [Fact]
    public void A_small_frame_takes_a_small_chunk_and_a_backlog_grows_to_full_chunks()
    {
        var ring = new ReceiveRing();
        ring.Append(new byte[40]);
        Assert.Equal(1, ring.ChunkCount);
        Assert.True(ring.Capacity <= 2 * ReceiveRing.MinimumChunkSize, $"{ring.Capacity} bytes for a 40-byte frame");

        for (var i = 0; i < 400; i++)
        {
            ring.Append(new byte[100]);
        }

        Assert.Equal(40_040, ring.Count);
        Assert.True(ring.ChunkCount <= 8, $"{ring.ChunkCount} chunks for 40 KB of small frames");
    }

    [Fact]
    public void A_drained_ring_keeps_one_chunk_until_released()
    {
        var ring = new ReceiveRing();
        var data = new byte[5 * ReceiveRing.ChunkSize + 123];
        new Random(5).NextBytes(data);
        var copy = new byte[data.Length];
        for (var round = 0; round < 3; round++)
        {
            ring.Append(data);
            Assert.Equal(6, ring.ChunkCount);
            var read = 0;
            while (read < copy.Length)
            {
                read += ring.Take(copy.AsSpan(read, Math.Min(7000, copy.Length - read)));
            }

            Assert.True(data.AsSpan().SequenceEqual(copy));
            Assert.Equal(0, ring.Count);
            Assert.Equal(1, ring.ChunkCount);
        }

        ring.ReleaseIfEmpty();
        Assert.Equal(0, ring.ChunkCount);
        ring.Append(new byte[10]);
        ring.ReleaseIfEmpty(); // holds data: kept
        Assert.Equal(1, ring.ChunkCount);
        Assert.Equal(10, ring.Count);
    }
}
