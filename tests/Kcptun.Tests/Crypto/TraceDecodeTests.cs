using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>
/// The trace_*.json captures of real Go peers: every datagram must open, give the plaintext the file records, and
/// carry the FEC header and KCP segments it lists.
/// </summary>
public class TraceDecodeTests
{
    [Theory]
    [InlineData("trace_debian_aes_snappy.json", WireGeneration.Debian, 20)]
    [InlineData("trace_debian_none_nocomp.json", WireGeneration.Debian, 11)]
    [InlineData("trace_latest_gcm_snappy_smux2.json", WireGeneration.Latest, 17)]
    [InlineData("trace_latest_null_nocomp_smux2.json", WireGeneration.Latest, 13)]
    public void Every_captured_datagram_opens_to_the_recorded_plaintext(string file, WireGeneration generation, int expectedCount)
    {
        var trace = CryptoVectors.Load(file);
        var protection = PacketProtection.Create(trace.StringOf("crypt"), trace.StringOf("key"), generation);
        Assert.Equal(trace.StringOf("crypt"), protection.Name);
        int count = 0, parity = 0;
        foreach (var d in trace.GetProperty("datagrams").EnumerateArray())
        {
            var datagram = d.HexOf("datagram_hex");
            Assert.True(protection.TryOpen(datagram, out var range), $"datagram {count}");
            var payload = datagram.AsSpan()[range];

            if (d.TryGetProperty("decrypted_hex", out var decrypted))
            {
                Assert.Equal(decrypted.GetString(), Vectors.Hex(datagram));
                Assert.Equal(20, range.Start.GetOffset(datagram.Length));
            }

            if (d.TryGetProperty("decrypted_after_nonce_hex", out var afterNonce))
            {
                Assert.Equal(afterNonce.GetString(), Vectors.Hex(payload));
            }

            if (d.TryGetProperty("crc_ok", out var crcOk))
            {
                Assert.True(crcOk.GetBoolean()); // every capture line was accepted by the Go receiver too
            }

            Assert.Equal(d.GetProperty("fec_seqid").GetUInt32(), BinaryPrimitives.ReadUInt32LittleEndian(payload));
            Assert.Equal(ParseHex(d.StringOf("fec_flag")), BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]));
            if (d.StringOf("fec_flag") == "0x00f2")
            {
                Assert.Equal(d.StringOf("parity_hex"), Vectors.Hex(payload[6..]));
                parity++;
            }
            else
            {
                Assert.Equal(d.GetProperty("fec_size").GetInt32(), BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]));
                Assert.Equal(payload.Length - 6, BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]));
                CheckSegments(payload[8..], d.GetProperty("segments"));
            }

            count++;
        }

        Assert.Equal(expectedCount, count);
        Assert.Equal(file == "trace_debian_aes_snappy.json" ? 3 : 0, parity);
    }

    [Fact]
    public void Worked_example_of_section_4_7()
    {
        var protection = PacketProtection.Create("aes", "testkey", WireGeneration.Debian);
        var wire = Vectors.Hex("63a7ad1980333f6eb4f84a021dce8de9a8e76d195d1ca6db59bd3489333295b8" +
            "d870c660e959264ef328872e45ba9924ab1e231ced6cfea672df4a3d860ba14c34c2c28b102d");
        Assert.True(protection.TryOpen(wire, out _));
        Assert.Equal("a377764274e93dee743353d152bce46d", Vectors.Hex(wire.AsSpan(0, 16)));
        Assert.Equal(0x0f732a29u, BinaryPrimitives.ReadUInt32LittleEndian(wire.AsSpan(16)));
    }

    private static void CheckSegments(ReadOnlySpan<byte> kcp, JsonElement segments)
    {
        foreach (var s in segments.EnumerateArray())
        {
            Assert.True(kcp.Length >= 24);
            Assert.Equal(ParseHex(s.StringOf("conv")), BinaryPrimitives.ReadUInt32LittleEndian(kcp));
            Assert.Equal(s.GetProperty("sn").GetUInt32(), BinaryPrimitives.ReadUInt32LittleEndian(kcp[12..]));
            Assert.Equal(s.GetProperty("una").GetUInt32(), BinaryPrimitives.ReadUInt32LittleEndian(kcp[16..]));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(kcp[20..]);
            Assert.Equal(s.GetProperty("len").GetInt32(), length);
            if (s.TryGetProperty("data_hex", out var data))
            {
                Assert.Equal(data.GetString(), Vectors.Hex(kcp.Slice(24, length)));
            }

            kcp = kcp[(24 + length)..];
        }

        Assert.Equal(0, kcp.Length);
    }

    private static uint ParseHex(string value) => uint.Parse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
