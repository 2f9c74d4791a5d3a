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
}
