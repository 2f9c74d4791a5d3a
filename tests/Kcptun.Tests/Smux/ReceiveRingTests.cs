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
            Assert.True(ring.ChunkCount <= ring.Count / ReceiveRing.ChunkSize + 2, $"{ring.ChunkCount} chunks hold {ring.Count} bytes");
        }

        Assert.Equal(oracle.Count, ring.Clear());
        Assert.Equal(0, ring.Count);
        Assert.Equal(0, ring.Take(new byte[10]));
        Assert.Equal(0, ring.ChunkCount);
    }

    [Fact]
    public void A_drained_stream_keeps_one_chunk_and_reuses_it()
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
    }
}
