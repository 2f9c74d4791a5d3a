using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary><see cref="PacketProtection.SealMany"/> must be byte-identical to <see cref="PacketProtection.Seal"/> in order.</summary>
public class SealManyTests
{
    /// <summary>Deterministic distinct nonces: two instances with one seed hand out the same sequence.</summary>
    private sealed class SeededNonceGenerator(int seed) : NonceGenerator
    {
        private readonly Random _random = new(seed);

        public override void Fill(Span<byte> nonce) => _random.NextBytes(nonce);
    }

    public static TheoryData<string> LatestNames()
    {
        var data = new TheoryData<string>();
        foreach (string name in PacketProtection.Names(WireGeneration.Latest))
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LatestNames))]
    public void SealMany_matches_Seal_in_order_on_random_batches(string crypt)
    {
        var random = new Random(crypt.GetHashCode(StringComparison.Ordinal));
        int rounds = crypt is "3des" or "blowfish" or "sm4" or "xtea" or "twofish" or "cast5" or "tea" ? 4 : 24;
        for (int round = 0; round < rounds; round++)
        {
            int count = round == 0 ? 1 : random.Next(1, 65);
            int slotSize = random.Next(1, 4) switch { 1 => 1500, 2 => 1408, _ => 2048 };
            var single = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest, new SeededNonceGenerator(round));
            var batched = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest, new SeededNonceGenerator(round));
            int header = single.HeaderSize;
            int maxLength = slotSize - single.TrailerSize;

            var lengths = new int[count];
            var slab = new byte[count * slotSize];
            random.NextBytes(slab);
            for (int i = 0; i < count; i++)
            {
                // Ragged: empty payloads, partial blocks, the full slot.
                lengths[i] = random.Next(4) switch
                {
                    0 => header + random.Next(0, 40),
                    1 => maxLength,
                    _ => random.Next(header, maxLength + 1),
                };
            }

            var expected = (byte[])slab.Clone();
            var expectedLengths = new int[count];
            for (int i = 0; i < count; i++)
            {
                expectedLengths[i] = single.Seal(expected.AsSpan(i * slotSize, slotSize), lengths[i]);
            }

            batched.SealMany(slab, slotSize, lengths);

            Assert.Equal(expectedLengths, lengths);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(Vectors.Hex(expected.AsSpan(i * slotSize, slotSize)), Vectors.Hex(slab.AsSpan(i * slotSize, slotSize)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(LatestNames))]
    public void SealMany_output_opens(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest);
        const int slotSize = 1400;
        int[] lengths = [protection.HeaderSize, protection.HeaderSize + 1, protection.HeaderSize + 17, 1350, slotSize - protection.TrailerSize];
        var slab = new byte[lengths.Length * slotSize];
        new Random(7).NextBytes(slab);
        var plain = (byte[])slab.Clone();
        int[] input = (int[])lengths.Clone();

        protection.SealMany(slab, slotSize, lengths);

        for (int i = 0; i < lengths.Length; i++)
        {
            Span<byte> datagram = slab.AsSpan(i * slotSize, lengths[i]);
            Assert.True(protection.TryOpen(datagram, out var payload));
            Assert.Equal(
                Vectors.Hex(plain.AsSpan((i * slotSize) + protection.HeaderSize, input[i] - protection.HeaderSize)),
                Vectors.Hex(datagram[payload]));
        }
    }

    [Fact]
    public void SealMany_with_the_fixed_nonce_gives_the_go_datagrams()
    {
        foreach (var v in CryptoVectors.Datagrams)
        {
            var protection = PacketProtection.Create(v.StringOf("crypt"), CryptoVectors.Pass, WireGeneration.Debian, new FixedNonceGenerator(v.HexOf("nonce_hex")));
            var before = v.HexOf("datagram_before_encryption_hex");
            const int slotSize = 1600;
            const int count = 5;
            var slab = new byte[count * slotSize];
            var lengths = new int[count];
            for (int i = 0; i < count; i++)
            {
                before.AsSpan(20).CopyTo(slab.AsSpan((i * slotSize) + 20));
                lengths[i] = before.Length;
            }

            protection.SealMany(slab, slotSize, lengths);

            for (int i = 0; i < count; i++)
            {
                Assert.Equal(v.GetProperty("length").GetInt32(), lengths[i]);
                Assert.Equal(v.StringOf("datagram_on_wire_hex"), Vectors.Hex(slab.AsSpan(i * slotSize, lengths[i])));
            }
        }
    }

    [Fact]
    public void SealMany_rejects_lengths_that_do_not_fit()
    {
        var protection = PacketProtection.Create("aes", CryptoVectors.Pass, WireGeneration.Latest);
        var slab = new byte[2 * 100];
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.SealMany(slab, 100, new int[] { 50, 101 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.SealMany(slab, 100, new int[] { 50, 19 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.SealMany(slab, 100, new int[] { 50, 50, 50 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => protection.SealMany(slab, 0, new int[] { 50 }));
        protection.SealMany(slab, 100, Span<int>.Empty); // nothing to do
    }
}
