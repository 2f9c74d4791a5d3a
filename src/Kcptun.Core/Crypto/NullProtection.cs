namespace Kcptun.Crypto;

/// <summary>Latest <c>null</c>: no header, no CRC, no cipher; the datagram starts with the FEC header or KCP.</summary>
internal sealed class NullProtection : PacketProtection
{
    public override int HeaderSize => 0;

    public override int TrailerSize => 0;

    public override string Name => "null";

    public override int Seal(Span<byte> buffer, int length) => length;

    public override bool TryOpen(Span<byte> datagram, out Range payload)
    {
        payload = Range.All;
        return true;
    }
}
