using System.Buffers.Binary;

namespace Kcptun.Fec;

/// <summary>
/// The FEC header that follows the protection header of every FEC datagram (docs/protocol/crypto.md §4.1 and fec.md §5.2).
/// </summary>
/// <remarks>
/// <code>
/// offset 0  u32 LE  seqid     (sets of D + P consecutive ids: D data, then P parity)
/// offset 4  u16 LE  flag      0x00F1 data, 0x00F2 parity
/// offset 6  u16 LE  size      data: 2 + number of KCP bytes that follow; parity: first 2 bytes of the RS shard
/// </code>
/// The Reed-Solomon shard of a packet starts at <see cref="ShardOffset"/>, so the size field is part of it.
/// </remarks>
public readonly struct FecHeader : IEquatable<FecHeader>
{
    /// <summary>Bytes of seqid, flag and size field.</summary>
    public const int Size = 8;

    /// <summary>Where the Reed-Solomon shard starts: after seqid and flag (kcp-go's fecHeaderSize).</summary>
    public const int ShardOffset = 6;

    /// <summary>Flag of a data packet (kcp-go typeData).</summary>
    public const ushort DataFlag = 0x00F1;

    /// <summary>Flag of a parity packet (kcp-go typeParity).</summary>
    public const ushort ParityFlag = 0x00F2;

    /// <summary>Creates a header.</summary>
    public FecHeader(uint sequenceId, ushort flag, ushort dataSize)
    {
        SequenceId = sequenceId;
        Flag = flag;
        DataSize = dataSize;
    }

    /// <summary>The packet's seqid; its set starts at seqid - seqid mod (D + P).</summary>
    public uint SequenceId { get; }

    /// <summary><see cref="DataFlag"/>, <see cref="ParityFlag"/>, or anything else for a packet that is not FEC.</summary>
    public ushort Flag { get; }

    /// <summary>Data packets: 2 + the number of KCP bytes after the header. Parity packets: shard bytes.</summary>
    public ushort DataSize { get; }

    /// <summary>Whether <see cref="Flag"/> is <see cref="DataFlag"/>.</summary>
    public bool IsData => Flag == DataFlag;

    /// <summary>Whether <see cref="Flag"/> is <see cref="ParityFlag"/>.</summary>
    public bool IsParity => Flag == ParityFlag;

    /// <summary>
    /// Whether a decrypted payload is an FEC packet: at least <see cref="Size"/> bytes with a data or parity flag at
    /// offset 4 (a plain KCP segment has cmd 81..84 there, docs/protocol/crypto.md §4.3).
    /// </summary>
    public static bool IsFecPacket(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < Size)
        {
            return false;
        }

        ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        return flag is DataFlag or ParityFlag;
    }

    /// <summary>Parses the 8 header bytes; false only when <paramref name="source"/> is shorter than <see cref="Size"/>.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out FecHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new FecHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]));
        return true;
    }

    /// <summary>Writes the 8 header bytes.</summary>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, SequenceId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Flag);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], DataSize);
    }

    /// <inheritdoc/>
    public bool Equals(FecHeader other) =>
        SequenceId == other.SequenceId && Flag == other.Flag && DataSize == other.DataSize;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FecHeader other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(SequenceId, Flag, DataSize);

    /// <summary>Equality of all three fields.</summary>
    public static bool operator ==(FecHeader left, FecHeader right) => left.Equals(right);

    /// <summary>Inequality of any field.</summary>
    public static bool operator !=(FecHeader left, FecHeader right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"seqid={SequenceId} flag=0x{Flag:x4} size={DataSize}";
}
