using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

public class SmuxFrameHeaderTests
{
    [Theory]
    [InlineData("0100000003000000", 1, SmuxCommand.Syn, 0, 3u)]
    [InlineData("0101000003000000", 1, SmuxCommand.Fin, 0, 3u)]
    [InlineData("0103000000000000", 1, SmuxCommand.Nop, 0, 0u)]
    [InlineData("0102050003000000", 1, SmuxCommand.Push, 5, 3u)]
    [InlineData("0204080003000000", 2, SmuxCommand.Update, 8, 3u)]
    [InlineData("0202ffff78563412", 2, SmuxCommand.Push, 65535, 0x12345678u)]
    public void Spec_examples_round_trip(string hex, byte version, SmuxCommand command, int length, uint streamId)
    {
        Assert.True(SmuxFrameHeader.TryRead(Vectors.Hex(hex), out var header));
        Assert.Equal(new SmuxFrameHeader(version, command, (ushort)length, streamId), header);
        var written = new byte[SmuxFrameHeader.Size];
        header.Write(written);
        Assert.Equal(hex, Vectors.Hex(written));
    }

    [Fact]
    public void Truncated_input_is_rejected_at_every_length()
    {
        var bytes = Vectors.Hex("0102050003000000");
        for (var length = 0; length < SmuxFrameHeader.Size; length++)
        {
            Assert.False(SmuxFrameHeader.TryRead(bytes.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void Unknown_command_is_kept_as_read()
    {
        Assert.True(SmuxFrameHeader.TryRead(Vectors.Hex("0109000000000000"), out var header));
        Assert.Equal((SmuxCommand)9, header.Command);
    }

    [Fact]
    public void Write_into_a_short_span_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmuxFrameHeader(1, SmuxCommand.Syn, 0, 3).Write(new byte[7]));
    }
}
