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
/// computed at once with SSE2 where available, the scalar core is the portable path and the test oracle.
/// </summary>
internal sealed class Salsa20Cipher : DatagramCipher
{
    public const int NonceSize = 8;
    private const int BlockSize = 64;
    private const int Lanes = 4;

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
        Span<byte> keystream = stackalloc byte[BlockSize * Lanes];
        ulong counter = 0;
        if (Sse2.IsSupported && !ScalarOnly)
        {
            while (body.Length > 0)
            {
                KeystreamFour(nonce, counter, keystream);
                int n = Math.Min(body.Length, keystream.Length);
                XorBytes.Apply(body[..n], keystream);
                body = body[n..];
                counter += Lanes;
            }

            return;
        }

        keystream = keystream[..BlockSize];
        while (body.Length > 0)
        {
            KeystreamBlock(nonce, counter, keystream);
            int n = Math.Min(body.Length, BlockSize);
            XorBytes.Apply(body[..n], keystream);
            body = body[n..];
            counter++;
        }
    }

    /// <summary>One 64-byte keystream block, scalar.</summary>
    internal void KeystreamBlock(ulong nonce, ulong counter, Span<byte> output)
    {
        Span<uint> input = stackalloc uint[16];
        InitialState(nonce, counter, input);
        Span<uint> x = stackalloc uint[16];
        input.CopyTo(x);
        for (int round = 0; round < 10; round++)
        {
            // Column round.
            QuarterRound(ref x[0], ref x[4], ref x[8], ref x[12]);
            QuarterRound(ref x[5], ref x[9], ref x[13], ref x[1]);
            QuarterRound(ref x[10], ref x[14], ref x[2], ref x[6]);
            QuarterRound(ref x[15], ref x[3], ref x[7], ref x[11]);

            // Row round.
            QuarterRound(ref x[0], ref x[1], ref x[2], ref x[3]);
            QuarterRound(ref x[5], ref x[6], ref x[7], ref x[4]);
            QuarterRound(ref x[10], ref x[11], ref x[8], ref x[9]);
            QuarterRound(ref x[15], ref x[12], ref x[13], ref x[14]);
        }

        for (int i = 0; i < 16; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(output[(4 * i)..], x[i] + input[i]);
        }
    }

    /// <summary>Four consecutive keystream blocks (counter .. counter + 3), one block per vector lane.</summary>
    private void KeystreamFour(ulong nonce, ulong counter, Span<byte> output)
    {
        Span<uint> input = stackalloc uint[16];
        InitialState(nonce, counter, input);
        Vector128<uint> counterLow = Vector128.Create((uint)counter) + Vector128.Create(0u, 1u, 2u, 3u);
        Vector128<uint> carry = Vector128.LessThan(counterLow, Vector128.Create((uint)counter)); // all-ones on wrap
        Vector128<uint> counterHigh = Vector128.Create((uint)(counter >> 32)) - carry;

        Vector128<uint> i0 = Vector128.Create(input[0]), i1 = Vector128.Create(input[1]), i2 = Vector128.Create(input[2]), i3 = Vector128.Create(input[3]);
        Vector128<uint> i4 = Vector128.Create(input[4]), i5 = Vector128.Create(input[5]), i6 = Vector128.Create(input[6]), i7 = Vector128.Create(input[7]);
        Vector128<uint> i8 = counterLow, i9 = counterHigh, i10 = Vector128.Create(input[10]), i11 = Vector128.Create(input[11]);
        Vector128<uint> i12 = Vector128.Create(input[12]), i13 = Vector128.Create(input[13]), i14 = Vector128.Create(input[14]), i15 = Vector128.Create(input[15]);

        Vector128<uint> x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7;
        Vector128<uint> x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = i12, x13 = i13, x14 = i14, x15 = i15;
        for (int round = 0; round < 10; round++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x5, ref x9, ref x13, ref x1);
            QuarterRound(ref x10, ref x14, ref x2, ref x6);
            QuarterRound(ref x15, ref x3, ref x7, ref x11);

            QuarterRound(ref x0, ref x1, ref x2, ref x3);
            QuarterRound(ref x5, ref x6, ref x7, ref x4);
            QuarterRound(ref x10, ref x11, ref x8, ref x9);
            QuarterRound(ref x15, ref x12, ref x13, ref x14);
        }

        StoreTransposed(x0 + i0, x1 + i1, x2 + i2, x3 + i3, output, 0);
        StoreTransposed(x4 + i4, x5 + i5, x6 + i6, x7 + i7, output, 16);
        StoreTransposed(x8 + i8, x9 + i9, x10 + i10, x11 + i11, output, 32);
        StoreTransposed(x12 + i12, x13 + i13, x14 + i14, x15 + i15, output, 48);
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
        state[0] = 0x61707865; // "expa"
        state[1] = _key[0];
        state[2] = _key[1];
        state[3] = _key[2];
        state[4] = _key[3];
        state[5] = 0x3320646e; // "nd 3"
        state[6] = (uint)nonce;
        state[7] = (uint)(nonce >> 32);
        state[8] = (uint)counter;
        state[9] = (uint)(counter >> 32);
        state[10] = 0x79622d32; // "2-by"
        state[11] = _key[4];
        state[12] = _key[5];
        state[13] = _key[6];
        state[14] = _key[7];
        state[15] = 0x6b206574; // "te k"
    }

    /// <summary>Salsa20 quarter round in the order (a, b, c, d) = (y0, y1, y2, y3): b ^= (a+d)&lt;&lt;&lt;7, ...</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        b ^= BitOperations.RotateLeft(a + d, 7);
        c ^= BitOperations.RotateLeft(b + a, 9);
        d ^= BitOperations.RotateLeft(c + b, 13);
        a ^= BitOperations.RotateLeft(d + c, 18);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        b ^= RotateLeft(a + d, 7);
        c ^= RotateLeft(b + a, 9);
        d ^= RotateLeft(c + b, 13);
        a ^= RotateLeft(d + c, 18);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> RotateLeft(Vector128<uint> v, int count) =>
        Vector128.ShiftLeft(v, count) | Vector128.ShiftRightLogical(v, 32 - count);
}
