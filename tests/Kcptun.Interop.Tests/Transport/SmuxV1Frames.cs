using System.Buffers.Binary;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>Hand-built smux v1 frames (docs/protocol/smux.md §8.1): ver, cmd, length u16 LE, sid u32 LE, payload.</summary>
internal static class SmuxV1Frames
{
    public const byte Syn = 0, Fin = 1, Psh = 2, Nop = 3;
    public const int HeaderSize = 8;

    public static byte[] Header(byte command, uint streamId, int length)
    {
        var header = new byte[HeaderSize];
        header[0] = 1;
        header[1] = command;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), checked((ushort)length));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), streamId);
        return header;
    }

    public static byte[] Frame(byte command, uint streamId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        Header(command, streamId, payload.Length).CopyTo(frame, 0);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>Reads one frame (header and payload) from a byte stream; null at end of stream.</summary>
    public static async Task<(byte Command, uint StreamId, byte[] Payload)?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[HeaderSize];
        if (!await FillAsync(stream, header, ct))
        {
            return null;
        }

        if (header[0] != 1)
        {
            throw new InvalidDataException($"smux version {header[0]}, expected 1");
        }

        var payload = new byte[BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2))];
        if (!await FillAsync(stream, payload, ct))
        {
            throw new EndOfStreamException("smux frame cut short");
        }

        return (header[1], BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)), payload);
    }

    private static async Task<bool> FillAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], ct);
            if (n == 0)
            {
                return false;
            }

            total += n;
        }

        return true;
    }
}
