using System.Text.Json;
using Kcptun.Fec;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Fec;

public class FecEncoderTests
{
    private const int CryptHeader = 20;

    [Fact]
    public void Encoder_output_matches_fec_group_json_byte_for_byte()
    {
        using JsonDocument doc = Vectors.Load("fec_group.json");
        JsonElement root = doc.RootElement;
        var encoder = new FecEncoder(root.GetProperty("datashard").GetInt32(), root.GetProperty("parityshard").GetInt32(), CryptHeader, 1350);
        int parityChecked = 0;
        foreach (JsonElement packet in root.GetProperty("packets").EnumerateArray())
        {
            byte[] datagram = Datagram(Vectors.Hex(packet.GetProperty("input_kcp_bytes_hex").GetString()!));
            int ready = encoder.Encode(datagram);

            // The protection stage owns [0, 20): compare from the FEC header on.
            byte[] expected = Vectors.Hex(packet.GetProperty("datagram_hex").GetString()!);
            Assert.Equal(Vectors.Hex(expected.AsSpan(CryptHeader)), Vectors.Hex(datagram.AsSpan(CryptHeader)));
            Assert.True(FecHeader.TryRead(datagram.AsSpan(CryptHeader), out FecHeader header));
            Assert.Equal(packet.GetProperty("fec_seqid").GetUInt32(), header.SequenceId);
            Assert.Equal(packet.GetProperty("size_field").GetInt32(), header.DataSize);

            if (packet.TryGetProperty("parity_datagrams_emitted_after_this_packet", out JsonElement parities))
            {
                Assert.Equal(parities.GetArrayLength(), ready);
                int i = 0;
                foreach (JsonElement parity in parities.EnumerateArray())
                {
                    byte[] expectedParity = Vectors.Hex(parity.GetProperty("datagram_hex").GetString()!);
                    Span<byte> actual = encoder.ParityDatagram(i++);
                    Assert.Equal(expectedParity.Length, actual.Length);
                    Assert.Equal(Vectors.Hex(expectedParity.AsSpan(CryptHeader)), Vectors.Hex(actual[CryptHeader..]));
                    Assert.Equal(parity.GetProperty("parity_shard_hex").GetString(), Vectors.Hex(actual[(CryptHeader + FecHeader.ShardOffset)..]));
                    parityChecked++;
                }
            }
            else
            {
                Assert.Equal(0, ready);
            }
        }

        Assert.Equal(2, parityChecked);

        // The next set continues at seqid 5: three data packets then two parity packets.
        uint[] next = [.. root.GetProperty("next_group_seqids_in_emission_order").EnumerateArray().Select(e => e.GetUInt32())];
        var seen = new List<uint>();
        for (int i = 0; i < 3; i++)
        {
            byte[] datagram = Datagram([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
            int ready = encoder.Encode(datagram);
            seen.Add(ReadAt(datagram, CryptHeader).SequenceId);
            for (int p = 0; p < ready; p++)
            {
                seen.Add(ReadAt(encoder.ParityDatagram(p).ToArray(), CryptHeader).SequenceId);
                Assert.Equal(FecHeader.ParityFlag, ReadAt(encoder.ParityDatagram(p).ToArray(), CryptHeader).Flag);
            }
        }

        Assert.Equal(next, seen);
    }

    [Fact]
    public void Parity_is_as_long_as_the_longest_datagram_of_its_set()
    {
        var encoder = new FecEncoder(3, 1, CryptHeader, 1400);
        Assert.Equal(0, encoder.Encode(Datagram(new byte[100])));
        Assert.Equal(0, encoder.Encode(Datagram(new byte[500])));
        Assert.Equal(1, encoder.Encode(Datagram(new byte[24])));
        Assert.Equal(CryptHeader + 8 + 500, encoder.ParityDatagram(0).Length);

        Assert.Equal(0, encoder.Encode(Datagram(new byte[30])));
        Assert.Equal(0, encoder.Encode(Datagram(new byte[30])));
        Assert.Equal(1, encoder.Encode(Datagram(new byte[40])));
        Assert.Equal(CryptHeader + 8 + 40, encoder.ParityDatagram(0).Length);
    }

    [Fact]
    public void Seqids_wrap_to_zero_at_paws_on_a_set_boundary()
    {
        var encoder = new FecEncoder(10, 3, 0, 1350);
        const uint paws = uint.MaxValue / 13 * 13;
        encoder.NextSequenceId = paws - 13;
        var seqids = new List<uint>();
        for (int i = 0; i < 20; i++)
        {
            byte[] datagram = new byte[40];
            int ready = encoder.Encode(datagram);
            seqids.Add(ReadAt(datagram, 0).SequenceId);
            for (int p = 0; p < ready; p++)
            {
                seqids.Add(ReadAt(encoder.ParityDatagram(p).ToArray(), 0).SequenceId);
            }
        }

        uint[] expected = [.. Enumerable.Range(0, 13).Select(i => paws - 13 + (uint)i), .. Enumerable.Range(0, 13).Select(i => (uint)i)];
        Assert.Equal(expected, seqids);
        Assert.Equal(13u, encoder.NextSequenceId);
    }

    [Fact]
    public void Size_field_counts_itself_and_the_kcp_bytes()
    {
        var encoder = new FecEncoder(10, 3, 12, 1350);
        byte[] datagram = new byte[12 + 8 + 24];
        encoder.Encode(datagram);
        Assert.Equal(26, ReadAt(datagram, 12).DataSize);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FecEncoder(0, 3, 20, 1350));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FecEncoder(10, 0, 20, 1350));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FecEncoder(200, 57, 20, 1350));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FecEncoder(10, 3, -1, 1350));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FecEncoder(10, 3, 20, 27));
        var encoder = new FecEncoder(10, 3, 20, 100);
        Assert.Throws<ArgumentException>(() => encoder.Encode(new byte[27]));
        Assert.Throws<ArgumentException>(() => encoder.Encode(new byte[101]));
        Assert.Throws<InvalidOperationException>(() => encoder.ParityDatagram(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.ParityDatagram(3));
    }

    private static FecHeader ReadAt(byte[] datagram, int offset)
    {
        Assert.True(FecHeader.TryRead(datagram.AsSpan(offset), out FecHeader header));
        return header;
    }

    internal static byte[] Datagram(ReadOnlySpan<byte> kcp, int headerOffset = CryptHeader)
    {
        byte[] datagram = new byte[headerOffset + FecHeader.Size + kcp.Length];
        kcp.CopyTo(datagram.AsSpan(headerOffset + FecHeader.Size));
        return datagram;
    }
}
