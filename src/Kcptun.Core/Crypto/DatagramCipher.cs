namespace Kcptun.Crypto;

/// <summary>
/// Transforms a whole datagram in place, restarting for every datagram (kcp-go's <c>BlockCrypt</c>).
/// An instance is used by one thread at a time; <see cref="PacketProtection"/> keeps one for sealing and one for opening.
/// </summary>
internal abstract class DatagramCipher
{
    public abstract void Encrypt(Span<byte> data);

    public abstract void Decrypt(Span<byte> data);

    /// <summary>
    /// Encrypts datagram i = <paramref name="slab"/>[(i * slotSize)..][..lengths[i]] for every i, as
    /// <see cref="Encrypt"/> would one by one. The caller has checked that every datagram fits in the slab.
    /// </summary>
    public virtual void EncryptMany(Span<byte> slab, int slotSize, ReadOnlySpan<int> lengths)
    {
        for (int i = 0; i < lengths.Length; i++)
        {
            Encrypt(slab.Slice(i * slotSize, lengths[i]));
        }
    }
}
