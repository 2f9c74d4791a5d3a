namespace Kcptun.Crypto;

/// <summary>
/// Transforms a whole datagram in place, restarting for every datagram (kcp-go's <c>BlockCrypt</c>).
/// An instance is used by one thread at a time; <see cref="PacketProtection"/> keeps one for sealing and one for opening.
/// </summary>
internal abstract class DatagramCipher
{
    public abstract void Encrypt(Span<byte> data);

    public abstract void Decrypt(Span<byte> data);
}
