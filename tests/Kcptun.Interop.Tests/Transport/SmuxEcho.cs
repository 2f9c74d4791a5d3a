using System.Security.Cryptography;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// Drives one smux v1 stream (sid 3) over a raw byte stream as a smux client would: SYN, PSH chunks, and reads the
/// PSH frames coming back until <c>length</c> bytes arrived; then FIN. Returns the SHA-256 of what came back.
/// </summary>
internal static class SmuxEcho
{
    public const uint StreamId = 3;

    public static async Task<byte[]> RunAsync(Stream session, byte[] data, int chunk, CancellationToken ct)
    {
        await session.WriteAsync(SmuxV1Frames.Frame(SmuxV1Frames.Syn, StreamId, []), ct);
        Task<byte[]> reader = ReadEchoAsync(session, data.Length, ct);
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            int length = Math.Min(chunk, data.Length - offset);
            await session.WriteAsync(SmuxV1Frames.Frame(SmuxV1Frames.Psh, StreamId, data.AsSpan(offset, length)), ct);
            if (reader.IsCompleted)
            {
                break;
            }
        }

        byte[] hash = await reader;
        await session.WriteAsync(SmuxV1Frames.Frame(SmuxV1Frames.Fin, StreamId, []), ct);
        return hash;
    }

    private static async Task<byte[]> ReadEchoAsync(Stream session, int length, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        while (received < length)
        {
            var frame = await SmuxV1Frames.ReadAsync(session, ct)
                ?? throw new EndOfStreamException($"session ended after {received} of {length} echoed bytes");
            switch (frame.Command)
            {
                case SmuxV1Frames.Nop:
                    continue;
                case SmuxV1Frames.Psh when frame.StreamId == StreamId:
                    hash.AppendData(frame.Payload);
                    received += frame.Payload.Length;
                    break;
                case SmuxV1Frames.Fin:
                    throw new EndOfStreamException($"stream {frame.StreamId} closed after {received} of {length} bytes");
                default:
                    throw new InvalidDataException($"unexpected smux frame cmd {frame.Command} sid {frame.StreamId}");
            }
        }

        return hash.GetHashAndReset();
    }
}
