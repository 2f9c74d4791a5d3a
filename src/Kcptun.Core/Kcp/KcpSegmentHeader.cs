using System.Buffers.Binary;

namespace Kcptun.Kcp;

/// <summary>
/// The 24-byte header in front of every KCP segment (docs/protocol/kcp.md §6.1). Little-endian layout:
/// <code>
/// [0,4) conv   [4] cmd   [5] frg   [6,8) wnd   [8,12) ts   [12,16) sn   [16,20) una   [20,24) len   then len data bytes
/// </code>
/// </summary>
/// <param name="Conversation">conv: identical in every segment of a session, both directions.</param>
/// <param name="Command">cmd; any byte value is decoded, validity is the control block's concern.</param>
/// <param name="Fragment">frg: fragment countdown in message mode, 0 in stream mode.</param>
/// <param name="Window">wnd: the sender's free receive window in segments.</param>
/// <param name="Timestamp">ts: PUSH transmit time, or the echoed PUSH time in an ACK.</param>
/// <param name="SequenceNumber">sn: PUSH sequence number, or the acknowledged sn in an ACK.</param>
/// <param name="Unacknowledged">una: the sender's next expected sn; everything below it was received.</param>
/// <param name="Length">len: number of data bytes following the header (untrusted when decoded).</param>
public readonly record struct KcpSegmentHeader(
    uint Conversation,
    KcpCommand Command,
    byte Fragment,
    ushort Window,
    uint Timestamp,
    uint SequenceNumber,
    uint Unacknowledged,
    uint Length)
{
    /// <summary>Encoded size of the header in bytes.</summary>
    public const int Size = 24;

    /// <summary>Decodes a header from the first <see cref="Size"/> bytes; false when fewer bytes are given.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out KcpSegmentHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new KcpSegmentHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            (KcpCommand)source[4],
            source[5],
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[20..]));
        return true;
    }

    /// <summary>Encodes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="Size"/>.</exception>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        Write(destination, Conversation, Command, Fragment, Window, Timestamp, SequenceNumber, Unacknowledged, Length);
    }

    /// <summary>Encodes a header from its fields without building the struct (flush hot path).</summary>
    internal static void Write(
        Span<byte> destination, uint conversation, KcpCommand command, byte fragment, ushort window, uint timestamp,
        uint sequenceNumber, uint unacknowledged, uint length)
    {
        // Highest offset first: one bounds check covers the rest.
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, conversation);
        destination[4] = (byte)command;
        destination[5] = fragment;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], window);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], sequenceNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], unacknowledged);
    }
}
