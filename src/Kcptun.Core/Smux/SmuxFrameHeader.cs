using System.Buffers.Binary;

namespace Kcptun.Smux;

/// <summary>
/// The 8-byte smux frame header (docs/protocol/smux.md §8.1), identical in versions 1 and 2:
/// <code>
/// [0] version  [1] command  [2..4) payload length u16 LE  [4..8) stream id u32 LE
/// </code>
/// </summary>
public readonly struct SmuxFrameHeader : IEquatable<SmuxFrameHeader>
{
    /// <summary>Encoded size of the header in bytes.</summary>
    public const int Size = 8;

    /// <summary>Payload size of an <see cref="SmuxCommand.Update"/> frame.</summary>
    public const int UpdatePayloadSize = 8;

    /// <summary>Creates a header.</summary>
    public SmuxFrameHeader(byte version, SmuxCommand command, ushort length, uint streamId)
    {
        Version = version;
        Command = command;
        Length = length;
        StreamId = streamId;
    }

    /// <summary>Protocol version byte (1 or 2 for a valid frame).</summary>
    public byte Version { get; }

    /// <summary>Command byte; values outside <see cref="SmuxCommand"/> are kept as read.</summary>
    public SmuxCommand Command { get; }

    /// <summary>Payload length in bytes.</summary>
    public ushort Length { get; }

    /// <summary>Stream id (0 for NOP).</summary>
    public uint StreamId { get; }

    /// <summary>Reads a header from the first 8 bytes of <paramref name="source"/>; false when it is shorter.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out SmuxFrameHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new SmuxFrameHeader(
            source[0],
            (SmuxCommand)source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]));
        return true;
    }

    /// <summary>Writes the header into the first 8 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], Length);
        destination[1] = (byte)Command;
        destination[0] = Version;
    }

    /// <inheritdoc/>
    public bool Equals(SmuxFrameHeader other) =>
        Version == other.Version && Command == other.Command && Length == other.Length && StreamId == other.StreamId;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SmuxFrameHeader other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Version, Command, Length, StreamId);

    /// <summary>Equality of every field.</summary>
    public static bool operator ==(SmuxFrameHeader left, SmuxFrameHeader right) => left.Equals(right);

    /// <summary>Inequality of any field.</summary>
    public static bool operator !=(SmuxFrameHeader left, SmuxFrameHeader right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"ver {Version} cmd {Command} len {Length} sid {StreamId}";
}
