using Kcptun.Smux;

namespace Kcptun.Tests.Smux;

/// <summary>Splits a recorded byte stream into smux frames (header + payload).</summary>
public static class SmuxFrames
{
    public static List<(SmuxFrameHeader Header, byte[] Frame)> Parse(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<(SmuxFrameHeader, byte[])>();
        while (SmuxFrameHeader.TryRead(bytes, out var header))
        {
            var payload = header.Command == SmuxCommand.Update ? SmuxFrameHeader.UpdatePayloadSize : header.Command == SmuxCommand.Push ? header.Length : 0;
            var size = SmuxFrameHeader.Size + payload;
            Assert.True(bytes.Length >= size, "truncated frame " + header);
            frames.Add((header, bytes[..size].ToArray()));
            bytes = bytes[size..];
        }

        Assert.True(bytes.IsEmpty, "trailing bytes");
        return frames;
    }

    /// <summary>Waits (hard timeout) until <paramref name="condition"/> holds, polling; for states with no event to await.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMilliseconds = 10000)
    {
        var deadline = Environment.TickCount64 + timeoutMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(5);
        }
    }
}
