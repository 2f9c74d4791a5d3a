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

    [Theory]
    [InlineData("aes")]
    [InlineData("none")]
    public void Short_datagrams_are_rejected(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Debian);
        for (int n = 0; n < 20; n++)
        {
            Assert.False(protection.TryOpen(new byte[n], out _));
        }
    }

    [Theory]
    [InlineData("aes")]
    [InlineData("none")]
    public void Random_nonces_differ_and_round_trip(string crypt)
    {
        var protection = PacketProtection.Create(crypt, CryptoVectors.Pass, WireGeneration.Debian);
        var seen = new HashSet<string>();
        var random = new Random(7);
        for (int i = 0; i < 600; i++)
        {
            int length = random.Next(20, 1500);
            var buffer = new byte[length];
            random.NextBytes(buffer.AsSpan(20));
            var payload = buffer[20..];
            Assert.Equal(length, protection.Seal(buffer, length));
            Assert.True(seen.Add(Vectors.Hex(buffer.AsSpan(0, 16))));
            Assert.True(protection.TryOpen(buffer, out var range));
            Assert.Equal(payload, buffer.AsSpan()[range].ToArray());
        }
    }
}
