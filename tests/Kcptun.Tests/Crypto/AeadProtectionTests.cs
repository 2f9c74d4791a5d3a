using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>latest_aead_null.json: aes-128-gcm datagrams with a fixed nonce, with and without FEC.</summary>
public class AeadProtectionTests
{
    private static readonly System.Text.Json.JsonElement s_file = CryptoVectors.Load("latest_aead_null.json");

    public static TheoryData<int> Entries() => [0, 1];

    [Theory]
    [MemberData(nameof(Entries))]
    public void Seal_with_fixed_nonce_gives_the_go_datagram(int index)
    {
        var v = s_file.GetProperty("aes_128_gcm")[index];
        var protection = PacketProtection.Create("aes-128-gcm", CryptoVectors.Pass, WireGeneration.Latest, new FixedNonceGenerator(v.HexOf("nonce_hex")));
        Assert.Equal(12, protection.HeaderSize);
        Assert.Equal(16, protection.TrailerSize);
        Assert.Equal("aes-128-gcm", protection.Name);

        var plain = v.HexOf("plaintext_after_nonce_hex");
        var buffer = new byte[12 + plain.Length + 16];
        plain.CopyTo(buffer, 12);
        int length = protection.Seal(buffer, 12 + plain.Length);
        Assert.Equal(v.GetProperty("length").GetInt32(), length);
        Assert.Equal(v.StringOf("datagram_on_wire_hex"), Vectors.Hex(buffer.AsSpan(0, length)));
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void TryOpen_recovers_the_plaintext(int index)
    {
        var v = s_file.GetProperty("aes_128_gcm")[index];
        var protection = PacketProtection.Create("aes-128-gcm", CryptoVectors.Pass, WireGeneration.Latest);
        var wire = v.HexOf("datagram_on_wire_hex");
        Assert.True(protection.TryOpen(wire, out var payload));
        Assert.Equal(v.StringOf("plaintext_after_nonce_hex"), Vectors.Hex(wire.AsSpan()[payload]));
        int kcpOffset = v.GetProperty("fec").GetBoolean() ? 8 : 0;
        Assert.Equal(v.StringOf("kcp_bytes_hex"), Vectors.Hex(wire.AsSpan()[payload][kcpOffset..]));
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void TryOpen_rejects_every_flipped_bit(int index)
    {
        var v = s_file.GetProperty("aes_128_gcm")[index];
        var protection = PacketProtection.Create("aes-128-gcm", CryptoVectors.Pass, WireGeneration.Latest);
        var wire = v.HexOf("datagram_on_wire_hex");
        for (int bit = 0; bit < wire.Length * 8; bit += 7)
        {
            var copy = (byte[])wire.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(protection.TryOpen(copy, out _), $"bit {bit}");
        }
    }

    [Fact]
    public void TryOpen_rejects_short_datagrams()
    {
        var protection = PacketProtection.Create("aes-128-gcm", CryptoVectors.Pass, WireGeneration.Latest);
        for (int n = 0; n < 28; n++)
        {
            Assert.False(protection.TryOpen(new byte[n], out _));
        }

        // 28 zero bytes: long enough to try, but the tag is wrong.
        Assert.False(protection.TryOpen(new byte[28], out _));
    }

    [Fact]
    public void Empty_payload_round_trips()
    {
        var protection = PacketProtection.Create("aes-128-gcm", CryptoVectors.Pass, WireGeneration.Latest);
        var buffer = new byte[28];
        Assert.Equal(28, protection.Seal(buffer, 12));
        Assert.True(protection.TryOpen(buffer, out var payload));
        Assert.Equal(0, buffer.AsSpan()[payload].Length);
    }
}
