using System.Buffers.Binary;

namespace Kcptun.Crypto;

/// <summary>
/// TEA as kcp-go configures it: 16 Feistel rounds = 8 cycles, not the usual 32 cycles (docs/protocol/crypto.md §3.2), so
/// BouncyCastle's <c>TeaEngine</c> does not fit. Words are big-endian.
/// </summary>
internal sealed class TeaBlock : BlockFunction
{
    private const uint Delta = 0x9E3779B9;
    private const int Cycles = 8;

    private readonly uint _k0;
    private readonly uint _k1;
    private readonly uint _k2;
    private readonly uint _k3;

    public TeaBlock(ReadOnlySpan<byte> key)
    {
        _k0 = BinaryPrimitives.ReadUInt32BigEndian(key);
        _k1 = BinaryPrimitives.ReadUInt32BigEndian(key[4..]);
        _k2 = BinaryPrimitives.ReadUInt32BigEndian(key[8..]);
        _k3 = BinaryPrimitives.ReadUInt32BigEndian(key[12..]);
    }

    public override int BlockSize => 8;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        uint v0 = BinaryPrimitives.ReadUInt32BigEndian(input);
        uint v1 = BinaryPrimitives.ReadUInt32BigEndian(input[4..]);
        uint sum = 0;
        for (int i = 0; i < Cycles; i++)
        {
            sum += Delta;
            v0 += ((v1 << 4) + _k0) ^ (v1 + sum) ^ ((v1 >> 5) + _k1);
            v1 += ((v0 << 4) + _k2) ^ (v0 + sum) ^ ((v0 >> 5) + _k3);
        }

        BinaryPrimitives.WriteUInt32BigEndian(output, v0);
        BinaryPrimitives.WriteUInt32BigEndian(output[4..], v1);
    }
}
