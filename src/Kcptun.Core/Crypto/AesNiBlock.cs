using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Kcptun.Crypto;

/// <summary>
/// Single-block AES encryption on AES-NI (QPP's pad shuffle); <see cref="Create"/> picks the portable path. Holds only
/// the expanded key, so one instance may be used from several threads at once.
/// </summary>
internal sealed class AesNiBlock : BlockFunction
{
    private const int Size = 16;

    private readonly Vector128<byte>[] _roundKeys;

    private AesNiBlock(ReadOnlySpan<byte> key) => _roundKeys = AesNiCfbCipher.ExpandKey(key);

    public override int BlockSize => Size;

    /// <summary>AES-NI when available, else the BCL.</summary>
    public static BlockFunction Create(ReadOnlySpan<byte> key) =>
        AesNiCfbCipher.IsSupported ? new AesNiBlock(key) : new BclAesBlock(key);

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output) =>
        Encrypt(Vector128.Create(input)).CopyTo(output);

    /// <summary>
    /// Eight blocks at a time interleaved (AESENC's latency is several cycles, its throughput one or two a cycle, so
    /// independent blocks overlap almost for free), then two at a time, then the last one alone. Optimised from the
    /// first call (QPP's pads are built once, at start-up, before tiered compilation would get to it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void EncryptBlocks(ReadOnlySpan<byte> input, Span<byte> output)
    {
        CheckBlocks(input, output, Size);
        ref byte source = ref MemoryMarshal.GetReference(input);
        ref byte destination = ref MemoryMarshal.GetReference(output);
        int length = input.Length;
        int offset = 0;
        for (; offset + (8 * Size) <= length; offset += 8 * Size)
        {
            EncryptEight(ref Unsafe.Add(ref source, offset), ref Unsafe.Add(ref destination, offset));
        }

        for (; offset + (2 * Size) <= length; offset += 2 * Size)
        {
            EncryptTwo(ref Unsafe.Add(ref source, offset), ref Unsafe.Add(ref destination, offset));
        }

        if (offset < length)
        {
            Encrypt(Vector128.LoadUnsafe(ref source, (nuint)offset)).StoreUnsafe(ref destination, (nuint)offset);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> Encrypt(Vector128<byte> block)
    {
        Vector128<byte>[] keys = _roundKeys;
        block ^= keys[0];
        for (int r = 1; r < keys.Length - 1; r++)
        {
            block = X86Aes.Encrypt(block, keys[r]);
        }

        return X86Aes.EncryptLast(block, keys[^1]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EncryptTwo(ref byte source, ref byte destination)
    {
        Vector128<byte>[] keys = _roundKeys;
        Vector128<byte> k = keys[0];
        Vector128<byte> b0 = Vector128.LoadUnsafe(ref source, 0) ^ k;
        Vector128<byte> b1 = Vector128.LoadUnsafe(ref source, Size) ^ k;
        int rounds = keys.Length - 1;
        for (int r = 1; r < rounds; r++)
        {
            k = keys[r];
            b0 = X86Aes.Encrypt(b0, k);
            b1 = X86Aes.Encrypt(b1, k);
        }

        k = keys[rounds];
        X86Aes.EncryptLast(b0, k).StoreUnsafe(ref destination, 0);
        X86Aes.EncryptLast(b1, k).StoreUnsafe(ref destination, Size);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EncryptEight(ref byte source, ref byte destination)
    {
        Vector128<byte> b0 = Vector128.LoadUnsafe(ref source, 0 * Size);
        Vector128<byte> b1 = Vector128.LoadUnsafe(ref source, 1 * Size);
        Vector128<byte> b2 = Vector128.LoadUnsafe(ref source, 2 * Size);
        Vector128<byte> b3 = Vector128.LoadUnsafe(ref source, 3 * Size);
        Vector128<byte> b4 = Vector128.LoadUnsafe(ref source, 4 * Size);
        Vector128<byte> b5 = Vector128.LoadUnsafe(ref source, 5 * Size);
        Vector128<byte> b6 = Vector128.LoadUnsafe(ref source, 6 * Size);
        Vector128<byte> b7 = Vector128.LoadUnsafe(ref source, 7 * Size);
        AesNiCfbCipher.EncryptEight(_roundKeys, ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7);
        b0.StoreUnsafe(ref destination, 0 * Size);
        b1.StoreUnsafe(ref destination, 1 * Size);
        b2.StoreUnsafe(ref destination, 2 * Size);
        b3.StoreUnsafe(ref destination, 3 * Size);
        b4.StoreUnsafe(ref destination, 4 * Size);
        b5.StoreUnsafe(ref destination, 5 * Size);
        b6.StoreUnsafe(ref destination, 6 * Size);
        b7.StoreUnsafe(ref destination, 7 * Size);
    }
}
