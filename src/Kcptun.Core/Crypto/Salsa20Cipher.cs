using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kcptun.Crypto;

/// <summary>
/// <c>salsa20</c> (PROTOCOL.md 3.3): Salsa20/20 with the 32-byte pass, the datagram's first 8 bytes as the nonce (sent
/// in clear) and the block counter starting at 0 for every datagram; bytes [8:] are XORed with the keystream.
/// Hand-written because BouncyCastle's engine must be re-initialised per nonce, which allocates; four blocks are
/// computed at once with AVX2 (8 blocks) or SSE2 (4 blocks) where available, the scalar core is the portable path and the test oracle.
/// </summary>
internal sealed class Salsa20Cipher : DatagramCipher
{
    public const int NonceSize = 8;
    private const int BlockSize = 64;
    private const int Lanes = 4;

    // "expand 32-byte k" as four little-endian words.
    private const uint Sigma0 = 0x61707865;
    private const uint Sigma1 = 0x3320646e;
    private const uint Sigma2 = 0x79622d32;
    private const uint Sigma3 = 0x6b206574;

    private readonly uint[] _key = new uint[8];

    public Salsa20Cipher(ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < 8; i++)
        {
            _key[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        }
    }

    /// <summary>Forces the scalar path (tests compare it with the SIMD one).</summary>
    internal bool ScalarOnly { get; init; }

    public override void Encrypt(Span<byte> data) => Apply(data);

    public override void Decrypt(Span<byte> data) => Apply(data);

    private void Apply(Span<byte> data)
    {
        if (data.Length <= NonceSize)
        {
            return;
        }

        ulong nonce = BinaryPrimitives.ReadUInt64LittleEndian(data);
        Span<byte> body = data[NonceSize..];
        Span<byte> keystream = stackalloc byte[BlockSize * 8];
        ulong counter = 0;
        if (!ScalarOnly)
        {
            // Widest first: 8 blocks (AVX2) while more than 4 blocks remain, then 4 blocks (SSE2) while more than
            // 2 remain; the last one or two blocks are cheaper on the scalar core than a 4-block batch.
            if (Avx2.IsSupported)
            {
                for (; body.Length > 4 * BlockSize; counter += 8)
                {
                    KeystreamEight(nonce, counter, keystream);
                    int n = Math.Min(body.Length, 8 * BlockSize);
                    XorBytes.Apply(body[..n], keystream);
                    body = body[n..];
                }
            }

            if (Sse2.IsSupported)
            {
                for (; body.Length > 2 * BlockSize; counter += Lanes)
                {
                    KeystreamFour(nonce, counter, keystream);
                    int n = Math.Min(body.Length, Lanes * BlockSize);
                    XorBytes.Apply(body[..n], keystream);
                    body = body[n..];
                }
            }
        }

        keystream = keystream[..BlockSize];
        for (; body.Length > 0; counter++)
        {
            KeystreamBlock(nonce, counter, keystream);
            int n = Math.Min(body.Length, BlockSize);
            XorBytes.Apply(body[..n], keystream);
            body = body[n..];
        }
    }

    /// <summary>One 64-byte keystream block, scalar.</summary>
    internal void KeystreamBlock(ulong nonce, ulong counter, Span<byte> output)
    {
        Span<uint> input = stackalloc uint[16];
        InitialState(nonce, counter, input);
        uint x0 = input[0], x1 = input[1], x2 = input[2], x3 = input[3], x4 = input[4], x5 = input[5], x6 = input[6], x7 = input[7];
        uint x8 = input[8], x9 = input[9], x10 = input[10], x11 = input[11], x12 = input[12], x13 = input[13], x14 = input[14], x15 = input[15];
        for (int round = 0; round < 10; round++)
        {
            // Column round.
            x4 ^= BitOperations.RotateLeft(x0 + x12, 7);
            x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
            x12 ^= BitOperations.RotateLeft(x8 + x4, 13);
            x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
            x9 ^= BitOperations.RotateLeft(x5 + x1, 7);
            x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
            x1 ^= BitOperations.RotateLeft(x13 + x9, 13);
            x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
            x14 ^= BitOperations.RotateLeft(x10 + x6, 7);
            x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
            x6 ^= BitOperations.RotateLeft(x2 + x14, 13);
            x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
            x3 ^= BitOperations.RotateLeft(x15 + x11, 7);
            x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
            x11 ^= BitOperations.RotateLeft(x7 + x3, 13);
            x15 ^= BitOperations.RotateLeft(x11 + x7, 18);

            // Row round.
            x1 ^= BitOperations.RotateLeft(x0 + x3, 7);
            x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
            x3 ^= BitOperations.RotateLeft(x2 + x1, 13);
            x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
            x6 ^= BitOperations.RotateLeft(x5 + x4, 7);
            x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
            x4 ^= BitOperations.RotateLeft(x7 + x6, 13);
            x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
            x11 ^= BitOperations.RotateLeft(x10 + x9, 7);
            x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
            x9 ^= BitOperations.RotateLeft(x8 + x11, 13);
            x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
            x12 ^= BitOperations.RotateLeft(x15 + x14, 7);
            x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
            x14 ^= BitOperations.RotateLeft(x13 + x12, 13);
            x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
        }

        Span<uint> x = [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15];
        for (int i = 0; i < 16; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(output[(4 * i)..], x[i] + input[i]);
        }
    }

    /// <summary>Four consecutive keystream blocks (counter .. counter + 3), one block per vector lane.</summary>
    private void KeystreamFour(ulong nonce, ulong counter, Span<byte> output)
    {
        uint[] k = _key;
        Vector128<uint> counterLow = Vector128.Create((uint)counter) + Vector128.Create(0u, 1u, 2u, 3u);
        Vector128<uint> carry = Vector128.LessThan(counterLow, Vector128.Create((uint)counter)); // all-ones on wrap
        Vector128<uint> counterHigh = Vector128.Create((uint)(counter >> 32)) - carry;

        Vector128<uint> x0 = Vector128.Create(Sigma0), x1 = Vector128.Create(k[0]), x2 = Vector128.Create(k[1]), x3 = Vector128.Create(k[2]);
        Vector128<uint> x4 = Vector128.Create(k[3]), x5 = Vector128.Create(Sigma1), x6 = Vector128.Create((uint)nonce), x7 = Vector128.Create((uint)(nonce >> 32));
        Vector128<uint> x8 = counterLow, x9 = counterHigh, x10 = Vector128.Create(Sigma2), x11 = Vector128.Create(k[4]);
        Vector128<uint> x12 = Vector128.Create(k[5]), x13 = Vector128.Create(k[6]), x14 = Vector128.Create(k[7]), x15 = Vector128.Create(Sigma3);
        for (int round = 0; round < 10; round++)
        {
            // Column round.
            x4 ^= RotateLeft(x0 + x12, 7);
            x8 ^= RotateLeft(x4 + x0, 9);
            x12 ^= RotateLeft(x8 + x4, 13);
            x0 ^= RotateLeft(x12 + x8, 18);
            x9 ^= RotateLeft(x5 + x1, 7);
            x13 ^= RotateLeft(x9 + x5, 9);
            x1 ^= RotateLeft(x13 + x9, 13);
            x5 ^= RotateLeft(x1 + x13, 18);
            x14 ^= RotateLeft(x10 + x6, 7);
            x2 ^= RotateLeft(x14 + x10, 9);
            x6 ^= RotateLeft(x2 + x14, 13);
            x10 ^= RotateLeft(x6 + x2, 18);
            x3 ^= RotateLeft(x15 + x11, 7);
            x7 ^= RotateLeft(x3 + x15, 9);
            x11 ^= RotateLeft(x7 + x3, 13);
            x15 ^= RotateLeft(x11 + x7, 18);

            // Row round.
            x1 ^= RotateLeft(x0 + x3, 7);
            x2 ^= RotateLeft(x1 + x0, 9);
            x3 ^= RotateLeft(x2 + x1, 13);
            x0 ^= RotateLeft(x3 + x2, 18);
            x6 ^= RotateLeft(x5 + x4, 7);
            x7 ^= RotateLeft(x6 + x5, 9);
            x4 ^= RotateLeft(x7 + x6, 13);
            x5 ^= RotateLeft(x4 + x7, 18);
            x11 ^= RotateLeft(x10 + x9, 7);
            x8 ^= RotateLeft(x11 + x10, 9);
            x9 ^= RotateLeft(x8 + x11, 13);
            x10 ^= RotateLeft(x9 + x8, 18);
            x12 ^= RotateLeft(x15 + x14, 7);
            x13 ^= RotateLeft(x12 + x15, 9);
            x14 ^= RotateLeft(x13 + x12, 13);
            x15 ^= RotateLeft(x14 + x13, 18);
        }

        // Feed-forward: add the input words back (broadcast again rather than kept live across the rounds).
        StoreTransposed(x0 + Vector128.Create(Sigma0), x1 + Vector128.Create(k[0]), x2 + Vector128.Create(k[1]), x3 + Vector128.Create(k[2]), output, 0);
        StoreTransposed(x4 + Vector128.Create(k[3]), x5 + Vector128.Create(Sigma1), x6 + Vector128.Create((uint)nonce), x7 + Vector128.Create((uint)(nonce >> 32)), output, 16);
        StoreTransposed(x8 + counterLow, x9 + counterHigh, x10 + Vector128.Create(Sigma2), x11 + Vector128.Create(k[4]), output, 32);
        StoreTransposed(x12 + Vector128.Create(k[5]), x13 + Vector128.Create(k[6]), x14 + Vector128.Create(k[7]), x15 + Vector128.Create(Sigma3), output, 48);
    }

    /// <summary>Eight consecutive keystream blocks (counter .. counter + 7), one block per 256-bit vector lane.</summary>
    private void KeystreamEight(ulong nonce, ulong counter, Span<byte> output)
    {
        uint[] k = _key;
        Vector256<uint> counterLow = Vector256.Create((uint)counter) + Vector256.Create(0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u);
        Vector256<uint> carry = Vector256.LessThan(counterLow, Vector256.Create((uint)counter));
        Vector256<uint> counterHigh = Vector256.Create((uint)(counter >> 32)) - carry;

        Vector256<uint> x0 = Vector256.Create(Sigma0), x1 = Vector256.Create(k[0]), x2 = Vector256.Create(k[1]), x3 = Vector256.Create(k[2]);
        Vector256<uint> x4 = Vector256.Create(k[3]), x5 = Vector256.Create(Sigma1), x6 = Vector256.Create((uint)nonce), x7 = Vector256.Create((uint)(nonce >> 32));
        Vector256<uint> x8 = counterLow, x9 = counterHigh, x10 = Vector256.Create(Sigma2), x11 = Vector256.Create(k[4]);
        Vector256<uint> x12 = Vector256.Create(k[5]), x13 = Vector256.Create(k[6]), x14 = Vector256.Create(k[7]), x15 = Vector256.Create(Sigma3);
        for (int round = 0; round < 10; round++)
        {
            // Column round.
            x4 ^= RotateLeft(x0 + x12, 7);
            x8 ^= RotateLeft(x4 + x0, 9);
            x12 ^= RotateLeft(x8 + x4, 13);
            x0 ^= RotateLeft(x12 + x8, 18);
            x9 ^= RotateLeft(x5 + x1, 7);
            x13 ^= RotateLeft(x9 + x5, 9);
            x1 ^= RotateLeft(x13 + x9, 13);
            x5 ^= RotateLeft(x1 + x13, 18);
            x14 ^= RotateLeft(x10 + x6, 7);
            x2 ^= RotateLeft(x14 + x10, 9);
            x6 ^= RotateLeft(x2 + x14, 13);
            x10 ^= RotateLeft(x6 + x2, 18);
            x3 ^= RotateLeft(x15 + x11, 7);
            x7 ^= RotateLeft(x3 + x15, 9);
            x11 ^= RotateLeft(x7 + x3, 13);
            x15 ^= RotateLeft(x11 + x7, 18);

            // Row round.
            x1 ^= RotateLeft(x0 + x3, 7);
            x2 ^= RotateLeft(x1 + x0, 9);
            x3 ^= RotateLeft(x2 + x1, 13);
            x0 ^= RotateLeft(x3 + x2, 18);
            x6 ^= RotateLeft(x5 + x4, 7);
            x7 ^= RotateLeft(x6 + x5, 9);
            x4 ^= RotateLeft(x7 + x6, 13);
            x5 ^= RotateLeft(x4 + x7, 18);
            x11 ^= RotateLeft(x10 + x9, 7);
            x8 ^= RotateLeft(x11 + x10, 9);
            x9 ^= RotateLeft(x8 + x11, 13);
            x10 ^= RotateLeft(x9 + x8, 18);
            x12 ^= RotateLeft(x15 + x14, 7);
            x13 ^= RotateLeft(x12 + x15, 9);
            x14 ^= RotateLeft(x13 + x12, 13);
            x15 ^= RotateLeft(x14 + x13, 18);
        }

        StoreTransposed(x0 + Vector256.Create(Sigma0), x1 + Vector256.Create(k[0]), x2 + Vector256.Create(k[1]), x3 + Vector256.Create(k[2]), output, 0);
        StoreTransposed(x4 + Vector256.Create(k[3]), x5 + Vector256.Create(Sigma1), x6 + Vector256.Create((uint)nonce), x7 + Vector256.Create((uint)(nonce >> 32)), output, 16);
        StoreTransposed(x8 + counterLow, x9 + counterHigh, x10 + Vector256.Create(Sigma2), x11 + Vector256.Create(k[4]), output, 32);
        StoreTransposed(x12 + Vector256.Create(k[5]), x13 + Vector256.Create(k[6]), x14 + Vector256.Create(k[7]), x15 + Vector256.Create(Sigma3), output, 48);
    }

    /// <summary>
    /// Words w..w+3 of eight blocks to bytes [offset, +16) of each block. AVX2 unpacks work per 128-bit half, so the
    /// low half of each result belongs to blocks 0-3 and the high half to blocks 4-7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, Span<byte> output, int offset)
    {
        Vector256<uint> t0 = Avx2.UnpackLow(a, b);
        Vector256<uint> t1 = Avx2.UnpackLow(c, d);
        Vector256<uint> t2 = Avx2.UnpackHigh(a, b);
        Vector256<uint> t3 = Avx2.UnpackHigh(c, d);
        Vector256<byte> r0 = Avx2.UnpackLow(t0.AsUInt64(), t1.AsUInt64()).AsByte();
        Vector256<byte> r1 = Avx2.UnpackHigh(t0.AsUInt64(), t1.AsUInt64()).AsByte();
        Vector256<byte> r2 = Avx2.UnpackLow(t2.AsUInt64(), t3.AsUInt64()).AsByte();
        Vector256<byte> r3 = Avx2.UnpackHigh(t2.AsUInt64(), t3.AsUInt64()).AsByte();
        r0.GetLower().CopyTo(output[offset..]);
        r1.GetLower().CopyTo(output[(BlockSize + offset)..]);
        r2.GetLower().CopyTo(output[((2 * BlockSize) + offset)..]);
        r3.GetLower().CopyTo(output[((3 * BlockSize) + offset)..]);
        r0.GetUpper().CopyTo(output[((4 * BlockSize) + offset)..]);
        r1.GetUpper().CopyTo(output[((5 * BlockSize) + offset)..]);
        r2.GetUpper().CopyTo(output[((6 * BlockSize) + offset)..]);
        r3.GetUpper().CopyTo(output[((7 * BlockSize) + offset)..]);
    }

    /// <summary>Words w..w+3 of the four blocks (one block per lane) to bytes [offset, +16) of each 64-byte block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, Span<byte> output, int offset)
    {
        Vector128<uint> t0 = Sse2.UnpackLow(a, b);   // a0 b0 a1 b1
        Vector128<uint> t1 = Sse2.UnpackLow(c, d);   // c0 d0 c1 d1
        Vector128<uint> t2 = Sse2.UnpackHigh(a, b);  // a2 b2 a3 b3
        Vector128<uint> t3 = Sse2.UnpackHigh(c, d);  // c2 d2 c3 d3
        Sse2.UnpackLow(t0.AsUInt64(), t1.AsUInt64()).AsByte().CopyTo(output[offset..]);
        Sse2.UnpackHigh(t0.AsUInt64(), t1.AsUInt64()).AsByte().CopyTo(output[(BlockSize + offset)..]);
        Sse2.UnpackLow(t2.AsUInt64(), t3.AsUInt64()).AsByte().CopyTo(output[((2 * BlockSize) + offset)..]);
        Sse2.UnpackHigh(t2.AsUInt64(), t3.AsUInt64()).AsByte().CopyTo(output[((3 * BlockSize) + offset)..]);
    }

    private void InitialState(ulong nonce, ulong counter, Span<uint> state)
    {
        state[0] = Sigma0;
        state[1] = _key[0];
        state[2] = _key[1];
        state[3] = _key[2];
        state[4] = _key[3];
        state[5] = Sigma1;
        state[6] = (uint)nonce;
        state[7] = (uint)(nonce >> 32);
        state[8] = (uint)counter;
        state[9] = (uint)(counter >> 32);
        state[10] = Sigma2;
        state[11] = _key[4];
        state[12] = _key[5];
        state[13] = _key[6];
        state[14] = _key[7];
        state[15] = Sigma3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> RotateLeft(Vector256<uint> v, int count) =>
        Vector256.ShiftLeft(v, count) | Vector256.ShiftRightLogical(v, 32 - count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> RotateLeft(Vector128<uint> v, int count) =>
        Vector128.ShiftLeft(v, count) | Vector128.ShiftRightLogical(v, 32 - count);
}
