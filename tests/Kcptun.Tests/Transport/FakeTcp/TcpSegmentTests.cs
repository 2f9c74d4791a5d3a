using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kcptun.Transport.FakeTcp;

namespace Kcptun.Tests.Transport.FakeTcp;

/// <summary>The fake-TCP segment writer and the raw-socket packet reader, with the TCP checksum of RFC 9293.</summary>
public sealed class TcpSegmentTests
{
    private static readonly byte[] s_source4 = IPAddress.Parse("10.99.0.1").GetAddressBytes();
    private static readonly byte[] s_destination4 = IPAddress.Parse("10.99.0.2").GetAddressBytes();
    private static readonly byte[] s_source6 = IPAddress.Parse("fd99::1").GetAddressBytes();
    private static readonly byte[] s_destination6 = IPAddress.Parse("fd99::2").GetAddressBytes();

    [Fact]
    public void Checksum_matches_the_RFC_1071_example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0x2ddf0, folded 0xddf2; the checksum is its complement.
        byte[] words = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220d, InternetChecksum.Finish(InternetChecksum.Add(0, words)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1351)]
    [InlineData(1500)]
    public void A_written_IPv4_segment_reads_back_and_its_checksum_verifies(int payloadLength)
    {
        byte[] payload = RandomBytes(payloadLength, payloadLength);
        byte[] segment = new byte[TcpSegment.HeaderSize + payloadLength];
        int length = TcpSegment.WriteData(segment, 46080, 4000, 0xFFFFFFF0, 0x12345678, 0x9abc, payload, s_source4, s_destination4);
        Assert.Equal(segment.Length, length);
        Assert.Equal(0, TcpSegment.Checksum(segment, s_source4, s_destination4)); // a correct segment sums to zero
        Assert.Equal(ReferenceChecksum(WithZeroChecksum(segment), s_source4, s_destination4),
            BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(16)));

        byte[] packet = WithIpv4Header(segment);
        Assert.True(TcpSegment.TryRead(packet, AddressFamily.InterNetwork, out TcpSegment read));
        Assert.Equal(new TcpSegment(46080, 4000, 0xFFFFFFF0, 0x12345678, TcpFlags.Push | TcpFlags.Acknowledgment, 40, payloadLength), read);
        Assert.Equal(payload, packet.AsSpan(read.PayloadOffset, read.PayloadLength).ToArray());
        Assert.Equal(0x9abc, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(14)));
    }

    [Fact]
    public void A_written_IPv6_segment_reads_back_bare_and_its_checksum_verifies()
    {
        byte[] payload = RandomBytes(1000, 7);
        byte[] segment = new byte[TcpSegment.HeaderSize + payload.Length];
        TcpSegment.WriteData(segment, 1, 65535, 7, 9, 0x8000, payload, s_source6, s_destination6);
        Assert.Equal(0, TcpSegment.Checksum(segment, s_source6, s_destination6));
        Assert.Equal(ReferenceChecksum(WithZeroChecksum(segment), s_source6, s_destination6),
            BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(16)));
        Assert.True(TcpSegment.TryRead(segment, AddressFamily.InterNetworkV6, out TcpSegment read));
        Assert.Equal(new TcpSegment(1, 65535, 7, 9, TcpFlags.Push | TcpFlags.Acknowledgment, 20, 1000), read);
    }

    [Fact]
    public void Options_are_skipped_and_SYN_and_FIN_count_in_the_sequence_space()
    {
        byte[] segment = new byte[32 + 3];
        segment[12] = 8 << 4; // 32-byte header: 12 bytes of options
        segment[13] = (byte)(TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Acknowledgment);
        Assert.True(TcpSegment.TryRead(segment, AddressFamily.InterNetworkV6, out TcpSegment read));
        Assert.Equal(32, read.PayloadOffset);
        Assert.Equal(3, read.PayloadLength);
        Assert.Equal(5u, read.SequenceLength);
    }

    [Fact]
    public void Every_truncation_and_bad_header_is_rejected_without_throwing()
    {
        byte[] segment = new byte[TcpSegment.HeaderSize + 100];
        TcpSegment.WriteData(segment, 5, 6, 1, 2, 0x8001, RandomBytes(100, 3), s_source4, s_destination4);
        byte[] packet = WithIpv4Header(segment);
        for (int length = 0; length < packet.Length; length++)
        {
            Assert.False(TcpSegment.TryRead(packet.AsSpan(0, length), AddressFamily.InterNetwork, out _));
        }

        for (int length = 0; length < TcpSegment.HeaderSize; length++)
        {
            Assert.False(TcpSegment.TryRead(segment.AsSpan(0, length), AddressFamily.InterNetworkV6, out _));
        }

        byte[] udp = (byte[])packet.Clone();
        udp[9] = 17;
        Assert.False(TcpSegment.TryRead(udp, AddressFamily.InterNetwork, out _));
        byte[] shortIhl = (byte[])packet.Clone();
        shortIhl[0] = 0x44;
        Assert.False(TcpSegment.TryRead(shortIhl, AddressFamily.InterNetwork, out _));
        byte[] badOffset = (byte[])segment.Clone();
        badOffset[12] = 4 << 4;
        Assert.False(TcpSegment.TryRead(badOffset, AddressFamily.InterNetworkV6, out _));
        badOffset[12] = 15 << 4; // 60-byte header in a 120-byte segment is fine; in a 40-byte one it is not
        Assert.False(TcpSegment.TryRead(badOffset.AsSpan(0, 40), AddressFamily.InterNetworkV6, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(14);
        byte[] packet = new byte[200];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(packet);
            int length = random.Next(packet.Length + 1);
            if (TcpSegment.TryRead(packet.AsSpan(0, length), i % 2 == 0 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6, out TcpSegment read))
            {
                Assert.InRange(read.PayloadOffset + read.PayloadLength, 0, length);
            }
        }
    }

    /// <summary>A plain, independent TCP checksum: pseudo header and segment summed as 16-bit words, folded at the end.</summary>
    private static ushort ReferenceChecksum(byte[] segment, byte[] source, byte[] destination)
    {
        var all = new List<byte>();
        all.AddRange(source);
        all.AddRange(destination);
        if (source.Length == 4)
        {
            all.AddRange([0, 6, (byte)(segment.Length >> 8), (byte)segment.Length]);
        }
        else
        {
            all.AddRange([(byte)(segment.Length >> 24), (byte)(segment.Length >> 16), (byte)(segment.Length >> 8), (byte)segment.Length, 0, 0, 0, 6]);
        }

        all.AddRange(segment);
        if (all.Count % 2 == 1)
        {
            all.Add(0);
        }

        long sum = 0;
        for (int i = 0; i < all.Count; i += 2)
        {
            sum += (all[i] << 8) | all[i + 1];
        }

        sum = (sum % 0xFFFF) == 0 && sum != 0 ? 0xFFFF : sum % 0xFFFF; // ones' complement sum = sum mod 65535
        return (ushort)~(ushort)sum;
    }

    private static byte[] WithZeroChecksum(byte[] segment)
    {
        byte[] copy = (byte[])segment.Clone();
        copy[16] = copy[17] = 0;
        return copy;
    }

    private static byte[] WithIpv4Header(byte[] segment)
    {
        byte[] packet = new byte[20 + segment.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 6;
        s_source4.CopyTo(packet, 12);
        s_destination4.CopyTo(packet, 16);
        segment.CopyTo(packet, 20);
        return packet;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
