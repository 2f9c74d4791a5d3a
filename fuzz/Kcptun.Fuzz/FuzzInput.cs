using System.Buffers.Binary;

namespace Kcptun.Fuzz;

/// <summary>
/// Cuts a fuzz input into the pieces a target needs: single selector bytes and length-prefixed records (one datagram,
/// one packet, one operation each). Never fails: a short input reads as zeros and a record whose length runs past the
/// end takes what is left, so every byte string is a valid input.
/// </summary>
/// <remarks>Record layout: <c>u16 LE length</c>, then that many bytes.</remarks>
public ref struct FuzzInput
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Reads <paramref name="data"/> from its start.</summary>
    public FuzzInput(ReadOnlySpan<byte> data)
    {
        _rest = data;
    }

    /// <summary>Whether everything has been read.</summary>
    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    /// <summary>The next byte, or 0 at the end.</summary>
    public byte Byte()
    {
        if (_rest.IsEmpty)
        {
            return 0;
        }

        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    /// <summary>The next record; false at the end of the input.</summary>
    public bool TryRecord(out ReadOnlySpan<byte> record)
    {
        if (_rest.IsEmpty)
        {
            record = default;
            return false;
        }

        if (_rest.Length < 2)
        {
            record = _rest;
            _rest = default;
            return true;
        }

        int length = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(_rest), _rest.Length - 2);
        record = _rest.Slice(2, length);
        _rest = _rest[(2 + length)..];
        return true;
    }

    /// <summary>Appends <paramref name="record"/> in the record layout (seed corpora are written with it).</summary>
    public static void AppendRecord(List<byte> destination, ReadOnlySpan<byte> record)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(record.Length, ushort.MaxValue, nameof(record));
        destination.Add((byte)record.Length);
        destination.Add((byte)(record.Length >> 8));
        destination.AddRange(record);
    }
}
