using System.Buffers.Binary;
using System.Globalization;
using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>datagrams.json: the full send path with the fixed nonce and the receive path, FEC and non-FEC.</summary>
public class DatagramVectorTests
{

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var d in CryptoVectors.Datagrams)
        {
            data.Add(d.StringOf("name"));
        }

        return data;
    }

    [Fact]
    public void Every_debian_cipher_has_a_datagram_vector()
    {
        var crypts = CryptoVectors.Datagrams.Select(d => d.StringOf("crypt")).ToHashSet();
        Assert.Equal(PacketProtection.Names(WireGeneration.Debian).Order(), crypts.Order());
        Assert.Equal(16, Names().Count);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Seal_with_fixed_nonce_gives_the_go_datagram(string name)
    {
        var v = CryptoVectors.Datagram(name);
        var protection = PacketProtection.Create(v.StringOf("crypt"), CryptoVectors.Pass, WireGeneration.Debian, new FixedNonceGenerator(v.HexOf("nonce_hex")));
        var before = v.HexOf("datagram_before_encryption_hex");
        Assert.Equal(20, protection.HeaderSize);
        Assert.Equal(0, protection.TrailerSize);

        var buffer = new byte[before.Length + 64];
        before.AsSpan(20).CopyTo(buffer.AsSpan(20));
        int length = protection.Seal(buffer, before.Length);

        Assert.Equal(v.GetProperty("length").GetInt32(), length);
        Assert.Equal(v.StringOf("datagram_on_wire_hex"), Vectors.Hex(buffer.AsSpan(0, length)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Vector_crc_field_is_the_crc_of_bytes_from_20(string name)
    {
        var v = CryptoVectors.Datagram(name);
        var before = v.HexOf("datagram_before_encryption_hex");
        uint expected = uint.Parse(v.StringOf("crc32_ieee_of_bytes_from_offset_20").AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(expected, BinaryPrimitives.ReadUInt32LittleEndian(before.AsSpan(16)));
        Assert.Equal(expected, System.IO.Hashing.Crc32.HashToUInt32(before.AsSpan(20)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TryOpen_recovers_the_plaintext(string name)
    {
        var v = CryptoVectors.Datagram(name);
        var protection = PacketProtection.Create(v.StringOf("crypt"), CryptoVectors.Pass, WireGeneration.Debian);
        var wire = v.HexOf("datagram_on_wire_hex");

        Assert.True(protection.TryOpen(wire, out var payload));
        Assert.Equal(v.StringOf("datagram_before_encryption_hex"), Vectors.Hex(wire));
        Assert.Equal(20, payload.Start.GetOffset(wire.Length));
        Assert.Equal(wire.Length, payload.End.GetOffset(wire.Length));

        // The KCP bytes follow the FEC header when FEC is on, the protection header otherwise.
        int kcpOffset = v.GetProperty("datashard").GetInt32() > 0 ? 8 : 0;
        Assert.Equal(v.StringOf("kcp_bytes_hex"), Vectors.Hex(wire.AsSpan()[payload][kcpOffset..]));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TryOpen_rejects_any_single_flipped_bit(string name)
    {
        var v = CryptoVectors.Datagram(name);
        var protection = PacketProtection.Create(v.StringOf("crypt"), CryptoVectors.Pass, WireGeneration.Debian);
        var wire = v.HexOf("datagram_on_wire_hex");
        var random = new Random(1234);
        for (int trial = 0; trial < 32; trial++)
        {
            var copy = (byte[])wire.Clone();
            int bit = random.Next(16 * 8, copy.Length * 8); // the nonce bytes are not covered for every cipher
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(protection.TryOpen(copy, out _), $"bit {bit}");
        }
    }
}
