using System.Buffers.Binary;
using System.Numerics;

namespace Kcptun.Crypto;

/// <summary>
/// CAST-128 (RFC 2144) encryption with a 16-byte key, 16 rounds. BouncyCastle's engine allocates a two-word array
/// per block (5.4 KB per 1350-byte datagram), so the rounds and the key schedule (masking keys Km, rotation keys Kr)
/// are done here over the RFC's S-boxes (<see cref="Cast5Tables"/>); tests check both against BouncyCastle.
/// </summary>
internal sealed class Cast5Block : BlockFunction
{
    private const int Rounds = 16;

    private static readonly uint[] s_s1 = Cast5Tables.S1;
    private static readonly uint[] s_s2 = Cast5Tables.S2;
    private static readonly uint[] s_s3 = Cast5Tables.S3;
    private static readonly uint[] s_s4 = Cast5Tables.S4;

    private readonly uint[] _s1;
    private readonly uint[] _s2;
    private readonly uint[] _s3;
    private readonly uint[] _s4;
    private readonly uint[] _masking;   // Km[1..16]
    private readonly int[] _rotation;   // Kr[1..16]

    private Cast5Block(uint[] masking, int[] rotation)
    {
        _s1 = s_s1;
        _s2 = s_s2;
        _s3 = s_s3;
        _s4 = s_s4;
        _masking = masking;
        _rotation = rotation;
    }

    public override int BlockSize => 8;

    public static BlockFunction Create(ReadOnlySpan<byte> key)
    {
        (uint[] masking, int[] rotation) = KeySchedule(key);
        return new Cast5Block(masking, rotation);
    }

    /// <summary>
    /// RFC 2144 section 2.4 for a 16-byte key: 32 subkeys K1..K32; Km[i] = K[i], Kr[i] = K[16 + i] &amp; 31. The
    /// returned arrays are indexed 1..16 (element 0 unused), like the round numbering.
    /// </summary>
    internal static (uint[] Masking, int[] Rotation) KeySchedule(ReadOnlySpan<byte> key)
    {
        if (key.Length != 16)
        {
            throw new ArgumentException("CAST5 keys are 16 bytes here.", nameof(key));
        }

        Span<uint> x = stackalloc uint[4];
        Span<uint> z = stackalloc uint[4];
        Span<uint> k = stackalloc uint[32];
        for (int i = 0; i < 4; i++)
        {
            x[i] = BinaryPrimitives.ReadUInt32BigEndian(key[(4 * i)..]);
        }

        uint[] s5 = Cast5Tables.S5, s6 = Cast5Tables.S6, s7 = Cast5Tables.S7, s8 = Cast5Tables.S8;
        for (int half = 0; half < 32; half += 16)
        {
            ZFromX(x, z);
            k[half + 0] = s5[B(z, 0x8)] ^ s6[B(z, 0x9)] ^ s7[B(z, 0x7)] ^ s8[B(z, 0x6)] ^ s5[B(z, 0x2)];
            k[half + 1] = s5[B(z, 0xA)] ^ s6[B(z, 0xB)] ^ s7[B(z, 0x5)] ^ s8[B(z, 0x4)] ^ s6[B(z, 0x6)];
            k[half + 2] = s5[B(z, 0xC)] ^ s6[B(z, 0xD)] ^ s7[B(z, 0x3)] ^ s8[B(z, 0x2)] ^ s7[B(z, 0x9)];
            k[half + 3] = s5[B(z, 0xE)] ^ s6[B(z, 0xF)] ^ s7[B(z, 0x1)] ^ s8[B(z, 0x0)] ^ s8[B(z, 0xC)];

            XFromZ(x, z);
            k[half + 4] = s5[B(x, 0x3)] ^ s6[B(x, 0x2)] ^ s7[B(x, 0xC)] ^ s8[B(x, 0xD)] ^ s5[B(x, 0x8)];
            k[half + 5] = s5[B(x, 0x1)] ^ s6[B(x, 0x0)] ^ s7[B(x, 0xE)] ^ s8[B(x, 0xF)] ^ s6[B(x, 0xD)];
            k[half + 6] = s5[B(x, 0x7)] ^ s6[B(x, 0x6)] ^ s7[B(x, 0x8)] ^ s8[B(x, 0x9)] ^ s7[B(x, 0x3)];
            k[half + 7] = s5[B(x, 0x5)] ^ s6[B(x, 0x4)] ^ s7[B(x, 0xA)] ^ s8[B(x, 0xB)] ^ s8[B(x, 0x7)];

            ZFromX(x, z);
            k[half + 8] = s5[B(z, 0x3)] ^ s6[B(z, 0x2)] ^ s7[B(z, 0xC)] ^ s8[B(z, 0xD)] ^ s5[B(z, 0x9)];
            k[half + 9] = s5[B(z, 0x1)] ^ s6[B(z, 0x0)] ^ s7[B(z, 0xE)] ^ s8[B(z, 0xF)] ^ s6[B(z, 0xC)];
            k[half + 10] = s5[B(z, 0x7)] ^ s6[B(z, 0x6)] ^ s7[B(z, 0x8)] ^ s8[B(z, 0x9)] ^ s7[B(z, 0x2)];
            k[half + 11] = s5[B(z, 0x5)] ^ s6[B(z, 0x4)] ^ s7[B(z, 0xA)] ^ s8[B(z, 0xB)] ^ s8[B(z, 0x6)];

            XFromZ(x, z);
            k[half + 12] = s5[B(x, 0x8)] ^ s6[B(x, 0x9)] ^ s7[B(x, 0x7)] ^ s8[B(x, 0x6)] ^ s5[B(x, 0x3)];
            k[half + 13] = s5[B(x, 0xA)] ^ s6[B(x, 0xB)] ^ s7[B(x, 0x5)] ^ s8[B(x, 0x4)] ^ s6[B(x, 0x7)];
            k[half + 14] = s5[B(x, 0xC)] ^ s6[B(x, 0xD)] ^ s7[B(x, 0x3)] ^ s8[B(x, 0x2)] ^ s7[B(x, 0x8)];
            k[half + 15] = s5[B(x, 0xE)] ^ s6[B(x, 0xF)] ^ s7[B(x, 0x1)] ^ s8[B(x, 0x0)] ^ s8[B(x, 0xD)];
        }

        var masking = new uint[Rounds + 1];
        var rotation = new int[Rounds + 1];
        for (int i = 1; i <= Rounds; i++)
        {
            masking[i] = k[i - 1];
            rotation[i] = (int)(k[Rounds + i - 1] & 0x1f);
        }

        return (masking, rotation);
    }

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        uint left = BinaryPrimitives.ReadUInt32BigEndian(input);
        uint right = BinaryPrimitives.ReadUInt32BigEndian(input[4..]);
        for (int i = 1; i <= Rounds; i++)
        {
            uint f = ((i - 1) % 3) switch
            {
                0 => Type1(right, _masking[i], _rotation[i]),
                1 => Type2(right, _masking[i], _rotation[i]),
                _ => Type3(right, _masking[i], _rotation[i]),
            };
            (left, right) = (right, left ^ f);
        }

        BinaryPrimitives.WriteUInt32BigEndian(output, right);
        BinaryPrimitives.WriteUInt32BigEndian(output[4..], left);
    }

    /// <summary>z0..zF from x0..xF (the RFC's "z0z1z2z3 = x0x1x2x3 ^ ..." block).</summary>
    private static void ZFromX(Span<uint> x, Span<uint> z)
    {
        uint[] s5 = Cast5Tables.S5, s6 = Cast5Tables.S6, s7 = Cast5Tables.S7, s8 = Cast5Tables.S8;
        z[0] = x[0] ^ s5[B(x, 0xD)] ^ s6[B(x, 0xF)] ^ s7[B(x, 0xC)] ^ s8[B(x, 0xE)] ^ s7[B(x, 0x8)];
        z[1] = x[2] ^ s5[B(z, 0x0)] ^ s6[B(z, 0x2)] ^ s7[B(z, 0x1)] ^ s8[B(z, 0x3)] ^ s8[B(x, 0xA)];
        z[2] = x[3] ^ s5[B(z, 0x7)] ^ s6[B(z, 0x6)] ^ s7[B(z, 0x5)] ^ s8[B(z, 0x4)] ^ s5[B(x, 0x9)];
        z[3] = x[1] ^ s5[B(z, 0xA)] ^ s6[B(z, 0x9)] ^ s7[B(z, 0xB)] ^ s8[B(z, 0x8)] ^ s6[B(x, 0xB)];
    }

    /// <summary>x0..xF from z0..zF (the RFC's "x0x1x2x3 = z8z9zAzB ^ ..." block).</summary>
    private static void XFromZ(Span<uint> x, Span<uint> z)
    {
        uint[] s5 = Cast5Tables.S5, s6 = Cast5Tables.S6, s7 = Cast5Tables.S7, s8 = Cast5Tables.S8;
        x[0] = z[2] ^ s5[B(z, 0x5)] ^ s6[B(z, 0x7)] ^ s7[B(z, 0x4)] ^ s8[B(z, 0x6)] ^ s7[B(z, 0x0)];
        x[1] = z[0] ^ s5[B(x, 0x0)] ^ s6[B(x, 0x2)] ^ s7[B(x, 0x1)] ^ s8[B(x, 0x3)] ^ s8[B(z, 0x2)];
        x[2] = z[1] ^ s5[B(x, 0x7)] ^ s6[B(x, 0x6)] ^ s7[B(x, 0x5)] ^ s8[B(x, 0x4)] ^ s5[B(z, 0x1)];
        x[3] = z[3] ^ s5[B(x, 0xA)] ^ s6[B(x, 0x9)] ^ s7[B(x, 0xB)] ^ s8[B(x, 0x8)] ^ s6[B(z, 0x3)];
    }

    /// <summary>Byte <paramref name="index"/> (0 = most significant byte of word 0) of four big-endian words.</summary>
    private static int B(Span<uint> words, int index) => (int)((words[index >> 2] >> (24 - (8 * (index & 3)))) & 0xff);

    private uint Type1(uint d, uint km, int kr)
    {
        uint i = BitOperations.RotateLeft(km + d, kr);
        return ((_s1[i >> 24] ^ _s2[(i >> 16) & 0xff]) - _s3[(i >> 8) & 0xff]) + _s4[i & 0xff];
    }

    private uint Type2(uint d, uint km, int kr)
    {
        uint i = BitOperations.RotateLeft(km ^ d, kr);
        return ((_s1[i >> 24] - _s2[(i >> 16) & 0xff]) + _s3[(i >> 8) & 0xff]) ^ _s4[i & 0xff];
    }

    private uint Type3(uint d, uint km, int kr)
    {
        uint i = BitOperations.RotateLeft(km - d, kr);
        return ((_s1[i >> 24] + _s2[(i >> 16) & 0xff]) ^ _s3[(i >> 8) & 0xff]) - _s4[i & 0xff];
    }
}
