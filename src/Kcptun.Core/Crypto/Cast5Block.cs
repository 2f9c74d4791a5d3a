using System.Buffers.Binary;
using System.Numerics;
using System.Reflection;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Kcptun.Crypto;

/// <summary>
/// CAST-128 (RFC 2144) encryption with a 16-byte key, 16 rounds. BouncyCastle's engine allocates a two-word array
/// per block (5.4 KB per 1350-byte datagram), so the rounds are done here; the S-boxes and the key schedule (masking
/// keys Km, rotation keys Kr) are taken from a BouncyCastle engine initialised with the key rather than restating
/// eight 1 KB tables. If that BouncyCastle layout is ever missing, <see cref="Create"/> falls back to the engine.
/// </summary>
internal sealed class Cast5Block : BlockFunction
{
    private const int Rounds = 16;

    private static readonly uint[]? s_s1 = StaticTable("S1");
    private static readonly uint[]? s_s2 = StaticTable("S2");
    private static readonly uint[]? s_s3 = StaticTable("S3");
    private static readonly uint[]? s_s4 = StaticTable("S4");

    private readonly uint[] _s1;
    private readonly uint[] _s2;
    private readonly uint[] _s3;
    private readonly uint[] _s4;
    private readonly uint[] _masking;   // Km[1..16]
    private readonly int[] _rotation;   // Kr[1..16]

    private Cast5Block(uint[] masking, int[] rotation)
    {
        _s1 = s_s1!;
        _s2 = s_s2!;
        _s3 = s_s3!;
        _s4 = s_s4!;
        _masking = masking;
        _rotation = rotation;
    }

    public override int BlockSize => 8;

    public static BlockFunction Create(ReadOnlySpan<byte> key)
    {
        var engine = new Cast5Engine();
        engine.Init(forEncryption: true, new KeyParameter(key));
        if (s_s1?.Length == 256 && s_s2?.Length == 256 && s_s3?.Length == 256 && s_s4?.Length == 256
            && InstanceField(engine, "_Km") is uint[] { Length: Rounds + 1 } masking
            && InstanceField(engine, "_Kr") is int[] { Length: Rounds + 1 } rotation)
        {
            return new Cast5Block((uint[])masking.Clone(), (int[])rotation.Clone());
        }

        return BouncyCastleBlock.Cast5(key);
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

    private static uint[]? StaticTable(string name) =>
        typeof(Cast5Engine).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as uint[];

    private static object? InstanceField(Cast5Engine engine, string name) =>
        typeof(Cast5Engine).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(engine);
}
