namespace Kcptun.Transport.FakeTcp;

/// <summary>The TCP header flags this transport reads or writes (byte 13 of the header).</summary>
[Flags]
internal enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Reset = 0x04,
    Push = 0x08,
    Acknowledgment = 0x10,
}
