using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kcptun.Crypto;

/// <summary>
/// One direction of one QPP-protected stream (docs/protocol/generations.md §11.4): a xoshiro256** generator whose words give, per 8
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

    internal (ulong S0, ulong S1, ulong S2, ulong S3, ulong Word) State => (_s0, _s1, _s2, _s3, _word);

    /// <summary>Encrypts <paramref name="data"/> in place (the writing side): c = pad[b ^ r].</summary>
    public void Encrypt(Span<byte> data)
    {
        ReadOnlySpan<byte> pads = _pads.Pads;
        int k = 0;

        // Finish the current word byte by byte, then whole words, then start the next word.
        for (; k < data.Length && _position != 0; k++)
        {
            data[k] = Pad(pads)[data[k] ^ (byte)(_word >> (8 * _position))];
            Advance();
        }

        for (; k + 8 <= data.Length; k += 8)
        {
            ReadOnlySpan<byte> pad = Pad(pads);
            ulong w = _word;
            Span<byte> eight = data.Slice(k, 8);
            for (int i = 0; i < 8; i++)
            {
                eight[i] = pad[eight[i] ^ (byte)(w >> (8 * i))];
            }

            _word = Next();
        }

        for (; k < data.Length; k++)
        {
            data[k] = Pad(pads)[data[k] ^ (byte)(_word >> (8 * _position))];
            Advance();
        }

        Count += data.Length;
    }

    /// <summary>Decrypts <paramref name="data"/> in place (the reading side): b = rpad[c] ^ r.</summary>
    public void Decrypt(Span<byte> data)
    {
        ReadOnlySpan<byte> pads = _pads.ReversePads;
        int k = 0;
        for (; k < data.Length && _position != 0; k++)
        {
            data[k] = (byte)(Pad(pads)[data[k]] ^ (byte)(_word >> (8 * _position)));
            Advance();
        }

        for (; k + 8 <= data.Length; k += 8)
        {
            ReadOnlySpan<byte> pad = Pad(pads);
            ulong w = _word;
            Span<byte> eight = data.Slice(k, 8);
            for (int i = 0; i < 8; i++)
            {
                eight[i] = (byte)(pad[eight[i]] ^ (byte)(w >> (8 * i)));
            }

            _word = Next();
        }

        for (; k < data.Length; k++)
        {
            data[k] = (byte)(Pad(pads)[data[k]] ^ (byte)(_word >> (8 * _position)));
            Advance();
        }

        Count += data.Length;
    }

    /// <summary>The pad the current word selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Pad(ReadOnlySpan<byte> pads) =>
        pads.Slice((int)((_word & 0xFFFF) % (uint)_pads.PadCount) * QuantumPermutationPad.PadSize, QuantumPermutationPad.PadSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance()
    {
        if (++_position == 8)
        {
            _position = 0;
            _word = Next();
        }
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
