using System.Numerics;

namespace Kcptun.Crypto;

/// <summary>
/// One direction of one QPP-protected stream (PROTOCOL.md 11.4): a xoshiro256** generator whose words give, per 8
/// bytes, the pad (low 16 bits mod pad count) and the 8 XOR bytes (little-endian). Only the running byte count
/// matters, not how the bytes are split into calls. Not thread-safe: one per direction.
/// </summary>
public sealed class QppTransform
{
    private readonly QuantumPermutationPad _pads;
    private ulong _s0, _s1, _s2, _s3;
    private ulong _word;
    private int _position; // byte index within _word, 0..7

    internal QppTransform(QuantumPermutationPad pads)
    {
        _pads = pads;
        ReadOnlySpan<ulong> state = pads.InitialState;
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _word = Next();
    }

    /// <summary>Bytes processed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Encrypts <paramref name="data"/> in place (the writing side).</summary>
    public void Encrypt(Span<byte> data) => Apply(data, encrypt: true);

    /// <summary>Decrypts <paramref name="data"/> in place (the reading side).</summary>
    public void Decrypt(Span<byte> data) => Apply(data, encrypt: false);

    internal (ulong S0, ulong S1, ulong S2, ulong S3, ulong Word) State => (_s0, _s1, _s2, _s3, _word);

    private void Apply(Span<byte> data, bool encrypt)
    {
        int padCount = _pads.PadCount;
        ReadOnlySpan<byte> pads = encrypt ? _pads.Pads : _pads.ReversePads;
        ReadOnlySpan<byte> pad = pads.Slice((int)((_word & 0xFFFF) % (uint)padCount) * QuantumPermutationPad.PadSize, QuantumPermutationPad.PadSize);
        for (int k = 0; k < data.Length; k++)
        {
            byte r = (byte)(_word >> (8 * _position));
            data[k] = encrypt ? pad[data[k] ^ r] : (byte)(pad[data[k]] ^ r);
            if (++_position == 8)
            {
                _position = 0;
                _word = Next();
                pad = pads.Slice((int)((_word & 0xFFFF) % (uint)padCount) * QuantumPermutationPad.PadSize, QuantumPermutationPad.PadSize);
            }
        }

        Count += data.Length;
    }

    /// <summary>xoshiro256**.</summary>
    private ulong Next()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }
}
