using System.Buffers.Binary;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// The 16-bit ones' complement sum of RFC 1071 that TCP puts over its pseudo header, header and payload: raw sockets
/// leave the TCP checksum to the sender (IPv6 raw sockets too, unless IPV6_CHECKSUM is set, which we do not).
/// </summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> as big-endian 16-bit words (an odd last byte is padded with zero).</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds the carries back in and complements: the value that goes into the checksum field.</summary>
    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
