using System.Buffers.Binary;
using System.IO.Hashing;

namespace Kcptun.Crypto;

/// <summary>
/// Every CFB cipher, salsa20, xor and <c>none</c> (docs/protocol/crypto.md §4.1, 4.2): 16-byte random nonce, CRC-32/IEEE of bytes
/// [20:] little-endian at [16:20], then the whole datagram encrypted. Receive: decrypt, then check the CRC.
/// </summary>
internal sealed class NonceCrcProtection : PacketProtection
{
    public const int NonceSize = 16;
    public const int Size = NonceSize + sizeof(uint);

    private readonly DatagramCipher _sealCipher;
    private readonly DatagramCipher _openCipher;
    private readonly NonceGenerator _nonces;
    private readonly string _name;

    /// <param name="name">The effective <c>--crypt</c> name.</param>
    /// <param name="sealCipher">Used only by <see cref="Seal"/>.</param>
    /// <param name="openCipher">Used only by <see cref="TryOpen"/>; a separate instance so both may run at once.</param>
    /// <param name="nonces">Nonce source; random unless a test injects a fixed one.</param>
    public NonceCrcProtection(string name, DatagramCipher sealCipher, DatagramCipher openCipher, NonceGenerator nonces)
    {
        _name = name;
        _sealCipher = sealCipher;
        _openCipher = openCipher;
        _nonces = nonces;
    }

    public override int HeaderSize => Size;

    public override int TrailerSize => 0;

    public override string Name => _name;

    public override int Seal(Span<byte> buffer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, Size);
        Span<byte> datagram = buffer[..length];
        _nonces.Fill(datagram[..NonceSize]);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram[NonceSize..], Crc32.HashToUInt32(datagram[Size..]));
        _sealCipher.Encrypt(datagram);
        return length;
    }

    /// <summary>Nonce and CRC for every datagram first, then one batched encryption (AES-CFB interleaves the chains).</summary>
    public override void SealMany(Span<byte> slab, int slotSize, Span<int> lengths)
    {
        ValidateBatch(slab, slotSize, lengths);
        for (int i = 0; i < lengths.Length; i++)
        {
            Span<byte> datagram = slab.Slice(i * slotSize, lengths[i]);
            _nonces.Fill(datagram[..NonceSize]);
            BinaryPrimitives.WriteUInt32LittleEndian(datagram[NonceSize..], Crc32.HashToUInt32(datagram[Size..]));
        }

        _sealCipher.EncryptMany(slab, slotSize, lengths);
    }

    public override bool TryOpen(Span<byte> datagram, out Range payload)
    {
        payload = default;
        if (datagram.Length < Size)
        {
            return false;
        }

        _openCipher.Decrypt(datagram);
        if (BinaryPrimitives.ReadUInt32LittleEndian(datagram[NonceSize..]) != Crc32.HashToUInt32(datagram[Size..]))
        {
            return false;
        }

        payload = new Range(Size, datagram.Length);
        return true;
    }
}
