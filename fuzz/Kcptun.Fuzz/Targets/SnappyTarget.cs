using Kcptun.Compression;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// The snappy framing reader (PROTOCOL.md section 9). Input: <c>[settings]</c> then the framed stream. Settings bit 0:
/// asynchronous reads; bits 1-4: bytes per read of the underlying connection; bits 5-7: the caller's buffer size (1 to
/// 65536 + 1). The stream must decode to its end or fail with InvalidDataException, which every later read repeats.
/// </summary>
internal static class SnappyTarget
{
    private static readonly int[] s_bufferSizes = [1, 7, 64, 1000, 4096, 32768, 65536, 65537];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var settings = input.Byte();
        bool asynchronous = (settings & 1) != 0;
        var buffer = new byte[s_bufferSizes[settings >> 5]];
        using var stream = new SnappyFramingStream(new InputStream(input.Rest.ToArray(), SmuxTarget.ReadSize((settings >> 1) & 15)));
        long total = 0;
        try
        {
            while (true)
            {
                int read = asynchronous ? FuzzBudget.Wait(stream.ReadAsync(buffer).AsTask(), "ReadAsync") : stream.Read(buffer);
                FuzzFindingException.Check(read >= 0 && read <= buffer.Length, $"Read returned {read} for a buffer of {buffer.Length}");
                if (read == 0)
                {
                    break;
                }

                total += read;
                FuzzFindingException.Check(total <= 64L * data.Length + 65536, $"{total} bytes decoded from {data.Length} bytes");
            }
        }
        catch (InvalidDataException)
        {
            try
            {
                _ = stream.Read(buffer);
            }
            catch (InvalidDataException)
            {
                return;
            }

            throw new FuzzFindingException("a read after a corrupt chunk did not fail again");
        }
    }
}
