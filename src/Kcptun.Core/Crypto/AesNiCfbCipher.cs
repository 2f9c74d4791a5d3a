using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Kcptun.Crypto;

/// <summary>
/// AES-CFB (kcp-go's fixed-IV, full-block CFB) on AES-NI: the default cipher's hot path. Encryption is a serial
/// chain (each block's keystream is the encryption of the previous ciphertext block), so it runs one block at a time;
/// decryption knows every keystream input up front and runs eight blocks interleaved to fill the AES pipelines.
/// Only constructed when <see cref="IsSupported"/>; <see cref="CfbCipher"/> over <see cref="BclAesBlock"/> is the
/// portable path.
/// </summary>
internal sealed class AesNiCfbCipher : DatagramCipher
{
    private const int BlockSize = 16;
    private const int Interleave = 8;

    private readonly Vector128<byte>[] _roundKeys;
    private readonly int _rounds;

    public AesNiCfbCipher(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AES-NI is not available.");
        }

        _roundKeys = ExpandKey(key);
        _rounds = _roundKeys.Length - 1;
    }

    public static bool IsSupported => X86Aes.IsSupported;

    private static Vector128<byte> InitialVector => Vector128.Create(CfbCipher.InitialVector);

    public override void Encrypt(Span<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        Vector128<byte> keystream = EncryptBlock(InitialVector);
        int offset = 0;
        for (; offset + BlockSize <= length; offset += BlockSize)
        {
            Vector128<byte> cipher = Vector128.LoadUnsafe(ref d, (nuint)offset) ^ keystream;
            cipher.StoreUnsafe(ref d, (nuint)offset);
            keystream = EncryptBlock(cipher);
        }

        XorTail(data[offset..], keystream);
    }

    public override void Decrypt(Span<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        Vector128<byte> previous = InitialVector; // the ciphertext block whose encryption is the next keystream
        int offset = 0;
        for (; offset + (Interleave * BlockSize) <= length; offset += Interleave * BlockSize)
        {
            DecryptEight(ref Unsafe.Add(ref d, offset), ref previous);
        }

        for (; offset + BlockSize <= length; offset += BlockSize)
        {
            Vector128<byte> cipher = Vector128.LoadUnsafe(ref d, (nuint)offset);
            (EncryptBlock(previous) ^ cipher).StoreUnsafe(ref d, (nuint)offset);
            previous = cipher;
        }

        XorTail(data[offset..], EncryptBlock(previous));
    }

    /// <summary>Eight blocks at <paramref name="d"/>: keystream_i = E(C_(i-1)), all eight encryptions interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DecryptEight(ref byte d, ref Vector128<byte> previous)
    {
        Vector128<byte> c0 = Vector128.LoadUnsafe(ref d, 0);
        Vector128<byte> c1 = Vector128.LoadUnsafe(ref d, 16);
        Vector128<byte> c2 = Vector128.LoadUnsafe(ref d, 32);
        Vector128<byte> c3 = Vector128.LoadUnsafe(ref d, 48);
        Vector128<byte> c4 = Vector128.LoadUnsafe(ref d, 64);
        Vector128<byte> c5 = Vector128.LoadUnsafe(ref d, 80);
        Vector128<byte> c6 = Vector128.LoadUnsafe(ref d, 96);
        Vector128<byte> c7 = Vector128.LoadUnsafe(ref d, 112);

        Vector128<byte>[] keys = _roundKeys;
        Vector128<byte> k = keys[0];
        Vector128<byte> e0 = previous ^ k, e1 = c0 ^ k, e2 = c1 ^ k, e3 = c2 ^ k;
        Vector128<byte> e4 = c3 ^ k, e5 = c4 ^ k, e6 = c5 ^ k, e7 = c6 ^ k;
        int rounds = _rounds;
        for (int r = 1; r < rounds; r++)
        {
            k = keys[r];
            e0 = X86Aes.Encrypt(e0, k);
            e1 = X86Aes.Encrypt(e1, k);
            e2 = X86Aes.Encrypt(e2, k);
            e3 = X86Aes.Encrypt(e3, k);
            e4 = X86Aes.Encrypt(e4, k);
            e5 = X86Aes.Encrypt(e5, k);
            e6 = X86Aes.Encrypt(e6, k);
            e7 = X86Aes.Encrypt(e7, k);
        }

        k = keys[rounds];
        (X86Aes.EncryptLast(e0, k) ^ c0).StoreUnsafe(ref d, 0);
        (X86Aes.EncryptLast(e1, k) ^ c1).StoreUnsafe(ref d, 16);
        (X86Aes.EncryptLast(e2, k) ^ c2).StoreUnsafe(ref d, 32);
        (X86Aes.EncryptLast(e3, k) ^ c3).StoreUnsafe(ref d, 48);
        (X86Aes.EncryptLast(e4, k) ^ c4).StoreUnsafe(ref d, 64);
        (X86Aes.EncryptLast(e5, k) ^ c5).StoreUnsafe(ref d, 80);
        (X86Aes.EncryptLast(e6, k) ^ c6).StoreUnsafe(ref d, 96);
        (X86Aes.EncryptLast(e7, k) ^ c7).StoreUnsafe(ref d, 112);
        previous = c7;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        Vector128<byte>[] keys = _roundKeys;
        int rounds = _rounds;
        block ^= keys[0];
        for (int r = 1; r < rounds; r++)
        {
            block = X86Aes.Encrypt(block, keys[r]);
        }

        return X86Aes.EncryptLast(block, keys[rounds]);
    }

    private static void XorTail(Span<byte> tail, Vector128<byte> keystream)
    {
        Span<byte> bytes = stackalloc byte[BlockSize];
        keystream.CopyTo(bytes);
        for (int i = 0; i < tail.Length; i++)
        {
            tail[i] ^= bytes[i];
        }
    }

    /// <summary>
    /// FIPS-197 key expansion for 16, 24 or 32-byte keys. SubWord uses AESENCLAST on a broadcast word (all four
    /// columns equal, so ShiftRows is a no-op and a zero round key leaves plain SubBytes).
    /// </summary>
    internal static Vector128<byte>[] ExpandKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("AES keys are 16, 24 or 32 bytes.", nameof(key));
        }

        int nk = key.Length / 4;
        int rounds = nk + 6;
        var words = new uint[4 * (rounds + 1)];
        for (int i = 0; i < nk; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        }

        uint rcon = 1;
        for (int i = nk; i < words.Length; i++)
        {
            uint temp = words[i - 1];
            if (i % nk == 0)
            {
                temp = SubWord((temp >> 8) | (temp << 24)) ^ rcon; // RotWord on little-endian bytes
                rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
            }
            else if (nk > 6 && i % nk == 4)
            {
                temp = SubWord(temp);
            }

            words[i] = words[i - nk] ^ temp;
        }

        var roundKeys = new Vector128<byte>[rounds + 1];
        for (int r = 0; r <= rounds; r++)
        {
            roundKeys[r] = Vector128.Create(words[4 * r], words[(4 * r) + 1], words[(4 * r) + 2], words[(4 * r) + 3]).AsByte();
        }

        return roundKeys;
    }

    private static uint SubWord(uint word) =>
        X86Aes.EncryptLast(Vector128.Create(word).AsByte(), Vector128<byte>.Zero).AsUInt32().ToScalar();
}
