using System.Buffers.Binary;
using System.Numerics;

namespace Kcptun.Compression;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and the snappy framing mask (docs/protocol/snappy.md §9.3).
/// System.IO.Hashing has no CRC-32C, so this uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which is the SSE4.2
/// or ARMv8 CRC instruction when available and a table in the runtime otherwise.
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xA282EAD8;

    /// <summary>CRC-32C of <paramref name="data"/> (initial value and final XOR 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        if (data.Length >= sizeof(uint))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt32LittleEndian(data));
            data = data[sizeof(uint)..];
        }

        foreach (var value in data)
        {
            crc = BitOperations.Crc32C(crc, value);
        }

        return ~crc;
    }

    /// <summary>The checksum stored in snappy chunks: rotate right by 15, add 0xA282EAD8.</summary>
    public static uint Mask(uint crc) => BitOperations.RotateRight(crc, 15) + MaskDelta;

    /// <summary><see cref="Mask"/> of <see cref="Compute"/>.</summary>
    public static uint ComputeMasked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
