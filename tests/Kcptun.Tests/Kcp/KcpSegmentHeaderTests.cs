using System.Text.Json;
using Kcptun.Kcp;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Kcp;

public class KcpSegmentHeaderTests
{
    public static TheoryData<int> SegmentIndexes()
    {
        using var doc = Vectors.Load("kcp_segments.json");
        var data = new TheoryData<int>();
        for (var i = 0; i < doc.RootElement.GetProperty("segments").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SegmentIndexes))]
    public void Encodes_the_go_vector_byte_for_byte(int index)
    {
        var (header, data, encoded) = LoadSegment(index);
        var buffer = new byte[KcpSegmentHeader.Size + data.Length];
        header.Write(buffer);
        data.CopyTo(buffer, KcpSegmentHeader.Size);
        Assert.Equal(Vectors.Hex(encoded), Vectors.Hex(buffer));
    }

    [Theory]
    [MemberData(nameof(SegmentIndexes))]
    public void Decodes_the_go_vector_to_every_field(int index)
    {
        var (expected, data, encoded) = LoadSegment(index);
        Assert.True(KcpSegmentHeader.TryRead(encoded, out var header));
        Assert.Equal(expected, header);
        Assert.Equal(Vectors.Hex(data), Vectors.Hex(encoded.AsSpan(KcpSegmentHeader.Size, (int)header.Length)));
    }

    [Fact]
    public void Truncation_sweep_rejects_every_prefix_shorter_than_the_header()
    {
        var (_, _, encoded) = LoadSegment(0);
        for (var length = 0; length < KcpSegmentHeader.Size; length++)
        {
            Assert.False(KcpSegmentHeader.TryRead(encoded.AsSpan(0, length), out var header));
            Assert.Equal(default, header);
        }

        for (var length = KcpSegmentHeader.Size; length <= encoded.Length; length++)
        {
            Assert.True(KcpSegmentHeader.TryRead(encoded.AsSpan(0, length), out var header));
            Assert.Equal(0x12345678u, header.Conversation);
        }
    }

    [Fact]
    public void Round_trips_extreme_field_values()
    {
        var header = new KcpSegmentHeader(uint.MaxValue, (KcpCommand)0xFF, 0xFF, ushort.MaxValue, uint.MaxValue, 0x80000000, 1, uint.MaxValue);
        var buffer = new byte[KcpSegmentHeader.Size];
        header.Write(buffer);
        Assert.True(KcpSegmentHeader.TryRead(buffer, out var decoded));
        Assert.Equal(header, decoded);
    }

    [Fact]
    public void Write_into_a_short_destination_throws()
    {
        var header = new KcpSegmentHeader(1, KcpCommand.Ack, 0, 0, 0, 0, 0, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => header.Write(new byte[KcpSegmentHeader.Size - 1]));
    }

    private static (KcpSegmentHeader Header, byte[] Data, byte[] Encoded) LoadSegment(int index)
    {
        using var doc = Vectors.Load("kcp_segments.json");
        var s = doc.RootElement.GetProperty("segments")[index].GetProperty("segment");
        var header = new KcpSegmentHeader(
            s.GetProperty("conv").GetUInt32(),
            (KcpCommand)s.GetProperty("cmd").GetByte(),
            s.GetProperty("frg").GetByte(),
            s.GetProperty("wnd").GetUInt16(),
            s.GetProperty("ts").GetUInt32(),
            s.GetProperty("sn").GetUInt32(),
            s.GetProperty("una").GetUInt32(),
            s.GetProperty("len").GetUInt32());
        return (header, Vectors.Hex(s.GetProperty("data_hex").GetString()!), Vectors.Hex(s.GetProperty("encoded_hex").GetString()!));
    }
}
