using Kcptun.Fec;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Fec;

public class FecHeaderTests
{
    [Fact]
    public void Round_trip_uses_the_wire_layout()
    {
        var header = new FecHeader(0x04030201, FecHeader.DataFlag, 0x2c);
        var buffer = new byte[FecHeader.Size];
        header.Write(buffer);
        Assert.Equal("01020304f1002c00", Vectors.Hex(buffer));
        Assert.True(FecHeader.TryRead(buffer, out FecHeader read));
        Assert.Equal(header, read);
        Assert.True(read.IsData);
        Assert.False(read.IsParity);
    }

    [Fact]
    public void Parses_the_header_of_the_spec_worked_example()
    {
        // docs/protocol/crypto.md §4.7: bytes 20..27 of the first Debian datagram.
        Assert.True(FecHeader.TryRead(Vectors.Hex("00000000f1002c00"), out FecHeader header));
        Assert.Equal(0u, header.SequenceId);
        Assert.Equal(FecHeader.DataFlag, header.Flag);
        Assert.Equal(44, header.DataSize);
    }

    [Fact]
    public void Truncation_sweep()
    {
        byte[] full = Vectors.Hex("0a000000f2001500aabbcc");
        for (int length = 0; length <= full.Length; length++)
        {
            bool ok = FecHeader.TryRead(full.AsSpan(0, length), out FecHeader header);
            Assert.Equal(length >= FecHeader.Size, ok);
            Assert.Equal(length >= FecHeader.Size, FecHeader.IsFecPacket(full.AsSpan(0, length)));
            if (ok)
            {
                Assert.Equal(new FecHeader(10, FecHeader.ParityFlag, 0x15), header);
            }
            else
            {
                Assert.Equal(default, header);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new FecHeader(1, FecHeader.DataFlag, 2).Write(new byte[7]));
    }

    [Theory]
    [InlineData("4226a77c51000002", false)] // a plain KCP PUSH segment: cmd 0x51 at offset 4
    [InlineData("4226a77c52000002", false)] // ACK
    [InlineData("00000000f1002c00", true)]
    [InlineData("0d000000f2000000", true)]
    [InlineData("00000000f3002c00", false)] // latest's out-of-band flag: not data or parity
    public void Tells_fec_from_plain_kcp(string hex, bool isFec)
    {
        Assert.Equal(isFec, FecHeader.IsFecPacket(Vectors.Hex(hex)));
    }
}
