using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

public class ProtectionSelectionTests
{
    [Fact]
    public void Debian_table_has_thirteen_names_and_latest_adds_gcm_and_null()
    {
        Assert.Equal(13, PacketProtection.Names(WireGeneration.Debian).Count);
        Assert.Equal(15, PacketProtection.Names(WireGeneration.Latest).Count);
        Assert.True(PacketProtection.IsKnown("aes-128-gcm", WireGeneration.Latest));
        Assert.True(PacketProtection.IsKnown("null", WireGeneration.Latest));
        Assert.False(PacketProtection.IsKnown("null", WireGeneration.Debian));
        Assert.False(PacketProtection.IsKnown("aes-128-gcm", WireGeneration.Debian));
        Assert.False(PacketProtection.IsKnown("AES", WireGeneration.Debian));
        Assert.False(PacketProtection.IsKnown("", WireGeneration.Latest));
    }

    [Theory]
    [InlineData("null", WireGeneration.Debian)]
    [InlineData("aes-128-gcm", WireGeneration.Debian)]
    [InlineData("AES", WireGeneration.Debian)]
    [InlineData("aes-256", WireGeneration.Latest)]
    [InlineData("", WireGeneration.Latest)]
    public void Unknown_names_fall_back_to_aes_256(string crypt, WireGeneration generation)
    {
        var v = CryptoVectors.Datagram("aes_fec_push");
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, generation);
        Assert.Equal("aes", protection.Name);
        var wire = v.HexOf("datagram_on_wire_hex");
        Assert.True(protection.TryOpen(wire, out _));
        Assert.Equal(v.StringOf("datagram_before_encryption_hex"), Vectors.Hex(wire));
    }

    [Fact]
    public void Create_with_key_string_derives_the_key()
    {
        var v = CryptoVectors.Datagram("aes_fec_push");
        var protection = PacketProtection.Create("aes", "testkey", WireGeneration.Debian);
        var wire = v.HexOf("datagram_on_wire_hex");
        Assert.True(protection.TryOpen(wire, out _));
    }

    [Fact]
    public void Create_rejects_a_key_that_is_not_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => PacketProtection.Create("aes", new byte[16], WireGeneration.Debian));
    }

    [Fact]
    public void Latest_null_has_no_header_and_passes_datagrams_through()
    {
        var aead = CryptoVectors.Load("latest_aead_null.json");
        var protection = PacketProtection.Create("null", CryptoVectors.Pass, WireGeneration.Latest);
        Assert.Equal(0, protection.HeaderSize);
        Assert.Equal(0, protection.TrailerSize);
        foreach (var property in new[] { "null_with_fec_datagram_hex", "null_without_fec_datagram_hex" })
        {
            var plain = aead.HexOf(property);
            var buffer = (byte[])plain.Clone();
            Assert.Equal(plain.Length, protection.Seal(buffer, buffer.Length));
            Assert.Equal(plain, buffer);
            Assert.True(protection.TryOpen(buffer, out var payload));
            Assert.Equal(plain, buffer.AsSpan()[payload].ToArray());
        }
    }

    public static TheoryData<string> LatestNames() => [.. PacketProtection.Names(WireGeneration.Latest)];

    public static TheoryData<string> HeaderNames() => [.. PacketProtection.Names(WireGeneration.Latest).Where(n => n != "null")];

    [Theory]
    [MemberData(nameof(HeaderNames))]
    public void Short_datagrams_are_rejected(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest);
        for (int n = 0; n < protection.HeaderSize + protection.TrailerSize; n++)
        {
            Assert.False(protection.TryOpen(new byte[n], out _));
        }
    }

    [Theory]
    [MemberData(nameof(LatestNames))]
    public void Random_datagrams_round_trip_with_fresh_nonces(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest);
        int h = protection.HeaderSize, t = protection.TrailerSize;
        var seen = new HashSet<string>();
        var random = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            int length = random.Next(h, 1500 - t);
            var buffer = new byte[length + t];
            random.NextBytes(buffer.AsSpan(h, length - h));
            var payload = buffer[h..length];
            Assert.Equal(length + t, protection.Seal(buffer, length));
            if (h > 0)
            {
                Assert.True(seen.Add(Vectors.Hex(buffer.AsSpan(0, h))));
            }

            Assert.True(protection.TryOpen(buffer, out var range));
            Assert.Equal(payload, buffer.AsSpan()[range].ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(HeaderNames))]
    public void Corrupted_datagrams_are_rejected(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest);
        int h = protection.HeaderSize, t = protection.TrailerSize;
        var random = new Random(11);
        for (int i = 0; i < 100; i++)
        {
            int length = random.Next(h + 1, 1400);
            var buffer = new byte[length + t];
            random.NextBytes(buffer.AsSpan(h, length - h));
            int wire = protection.Seal(buffer, length);

            // Flip one bit past the nonce field (salsa20 sends its nonce in clear and xor leaves it recoverable, but
            // everything the CRC or tag covers must be caught).
            int bit = random.Next((h == 20 ? 16 : h) * 8, wire * 8);
            buffer[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(protection.TryOpen(buffer.AsSpan(0, wire), out _), $"{crypt} bit {bit}");
        }
    }

    [Theory]
    [MemberData(nameof(HeaderNames))]
    public void Random_garbage_is_rejected_without_throwing(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Latest);
        var random = new Random(3);
        int accepted = 0;
        for (int i = 0; i < 500; i++)
        {
            var garbage = new byte[random.Next(0, 1500)];
            random.NextBytes(garbage);
            accepted += protection.TryOpen(garbage, out _) ? 1 : 0;
        }

        Assert.Equal(0, accepted);
    }
}
