using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kcptun.Crypto;

/// <summary>
/// kcp-go's CFB (docs/protocol/crypto.md §3.2): full-block CFB with the fixed IV, restarted for every datagram, the final partial
/// block XORed with a truncated keystream block. Works over any <see cref="BlockFunction"/>.
/// </summary>
internal sealed class CfbCipher : DatagramCipher
{
    private readonly BlockFunction _block;

    public CfbCipher(BlockFunction block) => _block = block;

    /// <summary>The fixed IV; 8-byte block ciphers use its first 8 bytes.</summary>
    public static ReadOnlySpan<byte> InitialVector =>
        [0xa7, 0x73, 0x4f, 0x9c, 0x12, 0xac, 0x1b, 0x01, 0xa4, 0x15, 0xf2, 0xc1, 0xfc, 0x78, 0xe6, 0x6b];

    public override void Encrypt(Span<byte> data)
    {
        int size = _block.BlockSize;
        Span<byte> keystream = stackalloc byte[16];
        keystream = keystream[..size];
        _block.EncryptBlock(InitialVector[..size], keystream);
        int offset = 0;
        for (; offset + size <= data.Length; offset += size)
        {
            Span<byte> block = data.Slice(offset, size);
            Xor(block, keystream);
            _block.EncryptBlock(block, keystream);
        }

        XorTail(data[offset..], keystream);
    }

    public override void Decrypt(Span<byte> data)
    {
        int size = _block.BlockSize;
        Span<byte> buffers = stackalloc byte[32];
        Span<byte> keystream = buffers[..size];
        Span<byte> next = buffers.Slice(16, size);
        _block.EncryptBlock(InitialVector[..size], keystream);
        int offset = 0;
        for (; offset + size <= data.Length; offset += size)
        {
            Span<byte> block = data.Slice(offset, size);
            _block.EncryptBlock(block, next);
            Xor(block, keystream);
            next.CopyTo(keystream);
        }

        XorTail(data[offset..], keystream);
    }

    /// <summary>XORs a whole 8- or 16-byte block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Xor(Span<byte> block, ReadOnlySpan<byte> keystream)
    {
        for (int i = 0; i < block.Length; i += sizeof(ulong))
        {
            Span<byte> word = block.Slice(i, sizeof(ulong));
            MemoryMarshal.Write(word, MemoryMarshal.Read<ulong>(word) ^ MemoryMarshal.Read<ulong>(keystream[i..]));
        }
    }

    private static void XorTail(Span<byte> tail, ReadOnlySpan<byte> keystream)
    {
        for (int i = 0; i < tail.Length; i++)
        {
            tail[i] ^= keystream[i];
        }
    }
}
