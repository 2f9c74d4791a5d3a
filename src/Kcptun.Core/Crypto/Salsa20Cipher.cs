using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kcptun.Crypto;

/// <summary>
/// <c>salsa20</c> (docs/protocol/crypto.md §3.3): Salsa20/20 with the 32-byte pass, the datagram's first 8 bytes as the nonce (sent
/// in clear) and the block counter starting at 0 for every datagram; bytes [8:] are XORed with the keystream.
/// Hand-written because BouncyCastle's engine must be re-initialised per nonce, which allocates. With AVX2 six blocks
/// are computed at once (<see cref="XorSix"/>) and XORed straight into the datagram; the scalar core is the portable
/// path (also with hardware intrinsics disabled) and the test oracle.
/// </summary>
internal sealed class Salsa20Cipher : DatagramCipher
{
    public const int NonceSize = 8;
    private const int BlockSize = 64;
    private const int Lanes = 6;

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
        ulong counter = 0;
        if (!ScalarOnly && Avx2.IsSupported)
        {
            const int Chunk = Lanes * BlockSize;
            ref byte start = ref MemoryMarshal.GetReference(body);
            int offset = 0;
            for (; offset + Chunk <= body.Length; offset += Chunk, counter += Lanes)
            {
                XorSix(nonce, counter, ref Unsafe.Add(ref start, offset));
            }

            if (offset < body.Length)
            {
                // The partial tail: six blocks of keystream into a zeroed buffer (the kernel costs about the same for
                // one block as for six), then as many bytes as are left.
                Span<byte> tail = stackalloc byte[Chunk];
                tail.Clear();
                XorSix(nonce, counter, ref MemoryMarshal.GetReference(tail));
                XorBytes.Apply(body[offset..], tail);
            }

            return;
        }

        Span<byte> keystream = stackalloc byte[BlockSize];
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

    /// <summary>
    /// XORs keystream blocks counter .. counter + 5 into the 384 bytes at <paramref name="destination"/>. Diagonal
    /// layout: each 128-bit lane holds one block's state as four diagonals (a, b, c, d), so a quarter-round step is one
    /// vector step and the row round needs only lane rotations; three 256-bit groups (blocks 0-1, 2-3, 4-5)
    /// run interleaved: one group's quarter-round chain is latency-bound, three keep the vector ports busy (a few
    /// spills of the twelve state registers cost less than the idle cycles of two groups).
    /// </summary>
    private void XorSix(ulong nonce, ulong counter, ref byte destination)
    {
        uint[] k = _key;
        uint nonceLow = (uint)nonce, nonceHigh = (uint)(nonce >> 32);
        ulong n1 = counter + 1, n2 = counter + 2, n3 = counter + 3, n4 = counter + 4, n5 = counter + 5;

        // a = (x0, x5, x10, x15), b = (x4, x9, x14, x3), c = (x8, x13, x2, x7), d = (x12, x1, x6, x11).
        Vector256<uint> a = Vector256.Create(Sigma0, Sigma1, Sigma2, Sigma3, Sigma0, Sigma1, Sigma2, Sigma3);
        Vector256<uint> b0 = Vector256.Create(k[3], (uint)(counter >> 32), k[7], k[2], k[3], (uint)(n1 >> 32), k[7], k[2]);
        Vector256<uint> c0 = Vector256.Create((uint)counter, k[6], k[1], nonceHigh, (uint)n1, k[6], k[1], nonceHigh);
        Vector256<uint> d0 = Vector256.Create(k[5], k[0], nonceLow, k[4], k[5], k[0], nonceLow, k[4]);
        Vector256<uint> b1 = Vector256.Create(k[3], (uint)(n2 >> 32), k[7], k[2], k[3], (uint)(n3 >> 32), k[7], k[2]);
        Vector256<uint> c1 = Vector256.Create((uint)n2, k[6], k[1], nonceHigh, (uint)n3, k[6], k[1], nonceHigh);
        Vector256<uint> b2 = Vector256.Create(k[3], (uint)(n4 >> 32), k[7], k[2], k[3], (uint)(n5 >> 32), k[7], k[2]);
        Vector256<uint> c2 = Vector256.Create((uint)n4, k[6], k[1], nonceHigh, (uint)n5, k[6], k[1], nonceHigh);

        Vector256<uint> xa = a, xb = b0, xc = c0, xd = d0;
        Vector256<uint> ya = a, yb = b1, yc = c1, yd = d0;
        Vector256<uint> za = a, zb = b2, zc = c2, zd = d0;
        for (int round = 0; round < 10; round++)
        {
            // Column round on the diagonals.
            xb ^= RotateLeft(xa + xd, 7);
            yb ^= RotateLeft(ya + yd, 7);
            zb ^= RotateLeft(za + zd, 7);
            xc ^= RotateLeft(xb + xa, 9);
            yc ^= RotateLeft(yb + ya, 9);
            zc ^= RotateLeft(zb + za, 9);
            xd ^= RotateLeft(xc + xb, 13);
            yd ^= RotateLeft(yc + yb, 13);
            zd ^= RotateLeft(zc + zb, 13);
            xa ^= RotateLeft(xd + xc, 18);
            ya ^= RotateLeft(yd + yc, 18);
            za ^= RotateLeft(zd + zc, 18);

            // Rotate lanes so the rows line up: b -> (x3, x4, x9, x14), c -> (x2, x7, x8, x13), d -> (x1, x6, x11, x12).
            xb = Avx2.Shuffle(xb, 0x93);
            yb = Avx2.Shuffle(yb, 0x93);
            zb = Avx2.Shuffle(zb, 0x93);
            xc = Avx2.Shuffle(xc, 0x4E);
            yc = Avx2.Shuffle(yc, 0x4E);
            zc = Avx2.Shuffle(zc, 0x4E);
            xd = Avx2.Shuffle(xd, 0x39);
            yd = Avx2.Shuffle(yd, 0x39);
            zd = Avx2.Shuffle(zd, 0x39);

            // Row round: the same quarter-round with the roles of b and d exchanged.
            xd ^= RotateLeft(xa + xb, 7);
            yd ^= RotateLeft(ya + yb, 7);
            zd ^= RotateLeft(za + zb, 7);
            xc ^= RotateLeft(xd + xa, 9);
            yc ^= RotateLeft(yd + ya, 9);
            zc ^= RotateLeft(zd + za, 9);
            xb ^= RotateLeft(xc + xd, 13);
            yb ^= RotateLeft(yc + yd, 13);
            zb ^= RotateLeft(zc + zd, 13);
            xa ^= RotateLeft(xb + xc, 18);
            ya ^= RotateLeft(yb + yc, 18);
            za ^= RotateLeft(zb + zc, 18);

            xb = Avx2.Shuffle(xb, 0x39);
            yb = Avx2.Shuffle(yb, 0x39);
            zb = Avx2.Shuffle(zb, 0x39);
            xc = Avx2.Shuffle(xc, 0x4E);
            yc = Avx2.Shuffle(yc, 0x4E);
            zc = Avx2.Shuffle(zc, 0x4E);
            xd = Avx2.Shuffle(xd, 0x93);
            yd = Avx2.Shuffle(yd, 0x93);
            zd = Avx2.Shuffle(zd, 0x93);
        }

        XorGroup(xa + a, xb + b0, xc + c0, xd + d0, ref destination);
        XorGroup(ya + a, yb + b1, yc + c1, yd + d0, ref Unsafe.Add(ref destination, 2 * BlockSize));
        XorGroup(za + a, zb + b2, zc + c2, zd + d0, ref Unsafe.Add(ref destination, 4 * BlockSize));
    }

    /// <summary>
    /// Back from diagonals to rows (row0 = x0..x3 = (a0, d1, c2, b3), and so on) with blends, then XORs the two blocks
    /// (low lanes: the first block, high lanes: the second) into the 128 bytes at <paramref name="destination"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorGroup(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref byte destination)
    {
        Vector256<uint> row0 = Avx2.Blend(Avx2.Blend(a, b, 0x88), Avx2.Blend(c, d, 0x22), 0x66);
        Vector256<uint> row1 = Avx2.Blend(Avx2.Blend(b, a, 0x22), Avx2.Blend(d, c, 0x88), 0xCC);
        Vector256<uint> row2 = Avx2.Blend(Avx2.Blend(c, b, 0x22), Avx2.Blend(a, d, 0x88), 0xCC);
        Vector256<uint> row3 = Avx2.Blend(Avx2.Blend(d, c, 0x22), Avx2.Blend(b, a, 0x88), 0xCC);
        XorStore(Avx2.Permute2x128(row0, row1, 0x20), ref destination, 0);
        XorStore(Avx2.Permute2x128(row2, row3, 0x20), ref destination, 32);
        XorStore(Avx2.Permute2x128(row0, row1, 0x31), ref destination, BlockSize);
        XorStore(Avx2.Permute2x128(row2, row3, 0x31), ref destination, BlockSize + 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorStore(Vector256<uint> keystream, ref byte destination, nuint offset) =>
        (Vector256.LoadUnsafe(ref destination, offset) ^ keystream.AsByte()).StoreUnsafe(ref destination, offset);

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
}
