using System.Text.Json;
using Kcptun.ReedSolomon;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.ReedSolomon;

public class ReedSolomonCodecTests
{
    [Theory]
    [MemberData(nameof(GaloisKernelTests.Kernels), MemberType = typeof(GaloisKernelTests))]
    public void Matrix_rows_and_parity_match_reedsolomon_json(ReedSolomonKernel kernel)
    {
        using JsonDocument doc = Vectors.Load("reedsolomon.json");
        int checkedConfigurations = 0;
        foreach (JsonElement config in doc.RootElement.GetProperty("configurations").EnumerateArray())
        {
            int d = config.GetProperty("datashards").GetInt32();
            int p = config.GetProperty("parityshards").GetInt32();
            var codec = new ReedSolomonCodec(d, p, kernel);

            string[] rows = [.. config.GetProperty("parity_rows_hex").EnumerateArray().Select(e => e.GetString()!)];
            Assert.Equal(p, rows.Length);
            for (int i = 0; i < p; i++)
            {
                Assert.Equal(rows[i], Vectors.Hex(codec.EncodingMatrixRow(d + i)));
            }

            for (int i = 0; i < d; i++)
            {
                byte[] identity = new byte[d];
                identity[i] = 1;
                Assert.Equal(identity, codec.EncodingMatrixRow(i).ToArray());
            }

            ReadOnlyMemory<byte>[] data = [.. config.GetProperty("example_data_shards_hex").EnumerateArray().Select(e => (ReadOnlyMemory<byte>)Vectors.Hex(e.GetString()!))];
            string[] expectedParity = [.. config.GetProperty("example_parity_shards_hex").EnumerateArray().Select(e => e.GetString()!)];
            Memory<byte>[] parity = [.. Enumerable.Range(0, p).Select(_ => (Memory<byte>)new byte[8])];
            codec.Encode(data, parity);
            Assert.Equal(expectedParity, parity.Select(m => Vectors.Hex(m.Span)).ToArray());

            Assert.True(codec.Verify([.. data, .. parity.Select(m => (ReadOnlyMemory<byte>)m)]));
            checkedConfigurations++;
        }

        Assert.Equal(5, checkedConfigurations);
    }

    [Fact]
    public void Default_10_3_parity_rows_are_the_spec_rows()
    {
        var codec = new ReedSolomonCodec(10, 3);
        Assert.Equal("8196afb8d2c4fee80302", Vectors.Hex(codec.EncodingMatrixRow(10)));
        Assert.Equal("9681b8afc4d2e8fe0203", Vectors.Hex(codec.EncodingMatrixRow(11)));
        Assert.Equal("bfd6620a066fdfb70504", Vectors.Hex(codec.EncodingMatrixRow(12)));
    }

    [Theory]
    [MemberData(nameof(GaloisKernelTests.Kernels), MemberType = typeof(GaloisKernelTests))]
    public void Every_erasure_pattern_of_10_3_is_rebuilt(ReedSolomonKernel kernel)
    {
        const int d = 10, p = 3, length = 1000;
        var codec = new ReedSolomonCodec(d, p, kernel);
        byte[][] original = MakeShards(codec, length, seed: 7);
        int patterns = 0;
        for (int mask = 0; mask < 1 << (d + p); mask++)
        {
            int lost = int.PopCount(mask);
            if (lost > p)
            {
                continue;
            }

            byte[][] shards = [.. original.Select(s => (byte[])s.Clone())];
            var present = new bool[d + p];
            for (int i = 0; i < d + p; i++)
            {
                present[i] = (mask & (1 << i)) == 0;
                if (!present[i])
                {
                    Array.Fill(shards[i], (byte)0xCC);
                }
            }

            Memory<byte>[] memory = [.. shards.Select(s => (Memory<byte>)s)];
            Assert.True(codec.Reconstruct(memory, present));
            for (int i = 0; i < d + p; i++)
            {
                Assert.True(original[i].AsSpan().SequenceEqual(shards[i]), $"mask {mask:x} shard {i}");
            }

            patterns++;
        }

        Assert.Equal(1 + 13 + 78 + 286, patterns);
        Assert.InRange(codec.CachedInversionCount, 1, 1024);
    }

    [Fact]
    public void ReconstructData_rebuilds_data_only_and_leaves_missing_parity_alone()
    {
        var codec = new ReedSolomonCodec(4, 2);
        byte[][] original = MakeShards(codec, 33, seed: 3);
        byte[][] shards = [.. original.Select(s => (byte[])s.Clone())];
        Array.Clear(shards[1]);
        Array.Clear(shards[5]);
        bool[] present = [true, false, true, true, true, false];
        Assert.True(codec.ReconstructData([.. shards.Select(s => (Memory<byte>)s)], present));
        Assert.Equal(original[1], shards[1]);
        Assert.All(shards[5], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Too_few_shards_cannot_be_rebuilt()
    {
        var codec = new ReedSolomonCodec(10, 3);
        byte[][] shards = MakeShards(codec, 16, seed: 1);
        var present = new bool[13];
        Array.Fill(present, true);
        present[0] = present[4] = present[9] = present[11] = false;
        Assert.False(codec.Reconstruct([.. shards.Select(s => (Memory<byte>)s)], present));
    }

    [Fact]
    public void Verify_detects_a_corrupted_shard()
    {
        var codec = new ReedSolomonCodec(10, 3);
        byte[][] shards = MakeShards(codec, 100, seed: 5);
        Assert.True(codec.Verify([.. shards.Select(s => (ReadOnlyMemory<byte>)s)]));
        shards[3][50] ^= 1;
        Assert.False(codec.Verify([.. shards.Select(s => (ReadOnlyMemory<byte>)s)]));
    }

    [Fact]
    public void Shards_may_sit_at_any_offset_of_larger_buffers()
    {
        var codec = new ReedSolomonCodec(3, 2);
        var random = new Random(11);
        var backing = new byte[500];
        random.NextBytes(backing);
        ReadOnlyMemory<byte>[] data = [backing.AsMemory(3, 40), backing.AsMemory(101, 40), backing.AsMemory(250, 40)];
        var parityBacking = new byte[200];
        Memory<byte>[] parity = [parityBacking.AsMemory(7, 40), parityBacking.AsMemory(90, 40)];
        codec.Encode(data, parity);

        Memory<byte>[] all = [data[0].ToArray(), new byte[40], data[2].ToArray(), parity[0].ToArray(), parity[1].ToArray()];
        Assert.True(codec.ReconstructData(all, [true, false, true, true, true]));
        Assert.Equal(data[1].ToArray(), all[1].ToArray());
    }

    [Fact]
    public void Invalid_geometry_and_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(200, 57));
        var max = new ReedSolomonCodec(200, 56);
        Assert.Equal(256, max.TotalShards);

        var codec = new ReedSolomonCodec(2, 1);
        Assert.Throws<ArgumentException>(() => codec.Encode([new byte[4], new byte[5]], [new byte[5]]));
        Assert.Throws<ArgumentException>(() => codec.Encode([new byte[4], new byte[4]], [new byte[3]]));
        Assert.Throws<ArgumentException>(() => codec.Encode([new byte[4]], [new byte[4]]));
    }

    [Fact]
    public void Large_code_round_trips()
    {
        var codec = new ReedSolomonCodec(200, 56);
        byte[][] original = MakeShards(codec, 64, seed: 9);
        byte[][] shards = [.. original.Select(s => (byte[])s.Clone())];
        var present = new bool[256];
        Array.Fill(present, true);
        var random = new Random(2);
        foreach (int lost in Enumerable.Range(0, 256).OrderBy(_ => random.Next()).Take(56))
        {
            present[lost] = false;
            Array.Clear(shards[lost]);
        }

        Assert.True(codec.Reconstruct([.. shards.Select(s => (Memory<byte>)s)], present));
        for (int i = 0; i < 256; i++)
        {
            Assert.Equal(original[i], shards[i]);
        }
    }

    internal static byte[][] MakeShards(ReedSolomonCodec codec, int length, int seed)
    {
        var random = new Random(seed);
        byte[][] shards = [.. Enumerable.Range(0, codec.TotalShards).Select(_ => new byte[length])];
        for (int i = 0; i < codec.DataShards; i++)
        {
            random.NextBytes(shards[i]);
        }

        codec.Encode([.. shards.Take(codec.DataShards).Select(s => (ReadOnlyMemory<byte>)s)], [.. shards.Skip(codec.DataShards).Select(s => (Memory<byte>)s)]);
        return shards;
    }
}
