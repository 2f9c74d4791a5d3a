using System.Buffers.Binary;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// One captured TCP segment, as far as the fake-TCP transport cares: ports, sequence space, flags and where the
/// payload is (an offset into the packet that was parsed).
/// </summary>
/// <remarks>
/// TCP header (RFC 9293), big-endian: 0 source port (2), 2 destination port (2), 4 sequence number (4),
/// 8 acknowledgment number (4), 12 data offset in 32-bit words (high 4 bits), 13 flags, 14 window (2),
/// 16 checksum (2), 18 urgent pointer (2), 20 options up to the data offset, then the payload.
/// IPv4 raw sockets deliver the IP header in front of it (version/IHL in byte 0, total length at 2, protocol at 9);
/// IPv6 raw sockets deliver the TCP header first.
/// </remarks>
internal readonly record struct TcpSegment(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment,
    TcpFlags Flags, int PayloadOffset, int PayloadLength)
{
    /// <summary>A TCP header without options, the only kind we write.</summary>
    public const int HeaderSize = 20;

    private const int Ipv4MinimumHeaderSize = 20;
    private const byte ProtocolTcp = 6;

    /// <summary>Sequence space the segment consumes: its payload, plus one for SYN and one for FIN.</summary>
    public uint SequenceLength => (uint)PayloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((Flags & TcpFlags.Fin) != 0 ? 1u : 0u);

    /// <summary>
    /// Reads the TCP segment of a packet from a raw socket: with its IPv4 header in front when
    /// <paramref name="family"/> is IPv4, bare for IPv6. False for anything malformed (not counted as a segment).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, AddressFamily family, out TcpSegment segment)
    {
        segment = default;
        int start = 0;
        int end = packet.Length;
        if (family == AddressFamily.InterNetwork)
        {
            if (packet.Length < Ipv4MinimumHeaderSize || packet[0] >> 4 != 4 || packet[9] != ProtocolTcp)
            {
                return false;
            }

            start = (packet[0] & 0x0F) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
            if (start < Ipv4MinimumHeaderSize || total < start || total > packet.Length)
            {
                return false;
            }

            end = total;
        }

        ReadOnlySpan<byte> tcp = packet[start..end];
        if (tcp.Length < HeaderSize)
        {
            return false;
        }

        int headerLength = (tcp[12] >> 4) * 4;
        if (headerLength < HeaderSize || headerLength > tcp.Length)
        {
            return false;
        }

        segment = new TcpSegment(
            BinaryPrimitives.ReadUInt16BigEndian(tcp),
            BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            (TcpFlags)(tcp[13] & 0x3F),
            start + headerLength,
            tcp.Length - headerLength);
        return true;
    }

    /// <summary>
    /// Writes a PSH|ACK segment carrying <paramref name="payload"/> into <paramref name="destination"/> (at least
    /// <see cref="HeaderSize"/> + payload bytes) with its checksum over the pseudo header of
    /// <paramref name="sourceAddress"/> and <paramref name="destinationAddress"/> (4 or 16 bytes each, the IP header's
    /// addresses). Returns the segment length.
    /// </summary>
    public static int WriteData(Span<byte> destination, ushort sourcePort, ushort destinationPort, uint sequence,
        uint acknowledgment, ushort window, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> sourceAddress,
        ReadOnlySpan<byte> destinationAddress)
    {
        if (sourceAddress.Length != destinationAddress.Length || (sourceAddress.Length != 4 && sourceAddress.Length != 16))
        {
            throw new ArgumentException("addresses must both be IPv4 (4 bytes) or IPv6 (16 bytes)", nameof(sourceAddress));
        }

        int length = HeaderSize + payload.Length;
        Span<byte> segment = destination[..length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], acknowledgment);
        segment[12] = (HeaderSize / 4) << 4;
        segment[13] = (byte)(TcpFlags.Push | TcpFlags.Acknowledgment);
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], window);
        BinaryPrimitives.WriteUInt32BigEndian(segment[16..], 0); // checksum (filled below), urgent pointer
        payload.CopyTo(segment[HeaderSize..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], Checksum(segment, sourceAddress, destinationAddress));
        return length;
    }

    /// <summary>
    /// The TCP checksum of <paramref name="segment"/> (whose checksum field is zero, or holds a checksum: then a
    /// correct segment sums to 0) over the IPv4 or IPv6 pseudo header.
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> segment, ReadOnlySpan<byte> sourceAddress, ReadOnlySpan<byte> destinationAddress)
    {
        // Pseudo header: IPv4 source, destination, zero, protocol, TCP length (16 bits); IPv6 (RFC 8200 §8.1)
        // source, destination, upper-layer length (32 bits), three zero bytes, next header.
        ulong sum = InternetChecksum.Add(0, sourceAddress);
        sum = InternetChecksum.Add(sum, destinationAddress);
        sum += ProtocolTcp;
        sum += (uint)segment.Length & 0xFFFF;
        sum += (uint)segment.Length >> 16;
        sum = InternetChecksum.Add(sum, segment);
        return InternetChecksum.Finish(sum);
    }
}
