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
        }

        Assert.Equal(oracle.Count, ring.Clear());
        Assert.Equal(0, ring.Count);
        Assert.Equal(0, ring.Take(new byte[10]));
    }
}
