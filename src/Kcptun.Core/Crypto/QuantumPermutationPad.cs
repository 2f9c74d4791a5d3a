using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Kcptun.Crypto;

/// <summary>
/// Latest kcptun's QPP (docs/protocol/generations.md §11.4, xtaci/qpp 1.1.25): a set of byte permutations derived from the raw
/// <c>--key</c> string, applied to smux stream payloads through a per-direction <see cref="QppTransform"/>.
/// Build one per process (pad generation: about 25,000 AES blocks per pad); it is immutable and shared by all streams.
/// </summary>
public sealed class QuantumPermutationPad
{
    /// <summary>kcptun's default <c>--QPPCount</c>.</summary>
    public const int DefaultPadCount = 61;

    internal const int PadSize = 256;
    private const int ChunkCount = 7; // ceil(211 / 32): 211 bytes hold 256!
    private const int ChunkSize = 32;

    private static readonly byte[] s_chunkSalt = "___QUANTUM_PERMUTATION_PAD_SEED_DERIVE___"u8.ToArray();
    private static readonly byte[] s_shuffleSalt = "___QUANTUM_PERMUTATION_PAD_SHUFFLE_SALT___"u8.ToArray();
    private static readonly byte[] s_prngSalt = "___QUANTUM_PERMUTATION_PAD_PRNG_SALT___"u8.ToArray();
    private static readonly byte[] s_selector = "PERMUTATION_MATRIX_SELECTOR"u8.ToArray();

    private readonly byte[] _pads;
    private readonly byte[] _reversePads;
    private readonly ulong[] _initialState = new ulong[4];

    /// <summary>Derives <paramref name="padCount"/> pads and the PRNG seed state from <paramref name="seed"/>.</summary>
    /// <param name="seed">The raw key bytes (UTF-8 of <c>--key</c>, not the PBKDF2 output).</param>
    /// <param name="padCount"><c>--QPPCount</c>, greater than 0.</param>
    public QuantumPermutationPad(ReadOnlySpan<byte> seed, int padCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(padCount, 1);
        PadCount = padCount;
        Span<byte> chunks = stackalloc byte[ChunkCount * ChunkSize];
        DeriveChunks(seed, chunks);
        SeedChunks = chunks.ToArray();

        _pads = new byte[padCount * PadSize];
        _reversePads = new byte[padCount * PadSize];
        var keys = new BlockFunction[ChunkCount];
        try
        {
            for (int i = 0; i < ChunkCount; i++)
            {
                keys[i] = AesNiBlock.Create(Rfc2898DeriveBytes.Pbkdf2(chunks.Slice(i * ChunkSize, ChunkSize), s_shuffleSalt, 128, HashAlgorithmName.SHA1, 32));
            }

            for (int p = 0; p < padCount; p++)
            {
                Span<byte> pad = _pads.AsSpan(p * PadSize, PadSize);
                Shuffle(pad, chunks.Slice((p % ChunkCount) * ChunkSize, ChunkSize), p, keys);
                Span<byte> reverse = _reversePads.AsSpan(p * PadSize, PadSize);
                for (int x = 0; x < PadSize; x++)
                {
                    reverse[pad[x]] = (byte)x;
                }
            }
        }
        finally
        {
            foreach (var key in keys)
            {
                (key as IDisposable)?.Dispose();
            }
        }

        Span<byte> selector = stackalloc byte[32];
        HMACSHA256.HashData(seed, s_selector, selector);
        Span<byte> state = stackalloc byte[32];
        Rfc2898DeriveBytes.Pbkdf2(selector, s_prngSalt, state, 128, HashAlgorithmName.SHA1);
        for (int i = 0; i < 4; i++)
        {
            _initialState[i] = BinaryPrimitives.ReadUInt64LittleEndian(state[(8 * i)..]);
        }
    }

    /// <summary>Number of pads (<c>--QPPCount</c>).</summary>
    public int PadCount { get; }

    /// <summary>The 7 derived 32-byte seed chunks, concatenated (exposed for tests).</summary>
    internal byte[] SeedChunks { get; }

    internal ReadOnlySpan<byte> Pads => _pads;

    internal ReadOnlySpan<byte> ReversePads => _reversePads;

    internal ReadOnlySpan<ulong> InitialState => _initialState;

    /// <summary>Creates the pads from a <c>--key</c> string (its UTF-8 bytes are the seed).</summary>
    public static QuantumPermutationPad Create(string key, int padCount = DefaultPadCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new QuantumPermutationPad(Encoding.UTF8.GetBytes(key), padCount);
    }

    /// <summary>
    /// A fresh transform for one direction of one stream. Every transform starts from the same PRNG state, as in Go,
    /// so the writer's transform on one side and the reader's on the other stay in step.
    /// </summary>
    public QppTransform CreateTransform() => new(this);

    private static void DeriveChunks(ReadOnlySpan<byte> seed, Span<byte> chunks)
    {
        byte[] source = seed.Length >= ChunkSize
            ? seed.ToArray()
            : Rfc2898DeriveBytes.Pbkdf2(seed, s_chunkSalt, 128, HashAlgorithmName.SHA1, ChunkSize);
        Span<byte> chunk = stackalloc byte[ChunkSize];
        for (int i = 0; i < ChunkCount; i++)
        {
            for (int j = 0; j < ChunkSize; j++)
            {
                chunk[j] = source[((ChunkSize * i) + j) % source.Length];
            }

            Rfc2898DeriveBytes.Pbkdf2(chunk, s_chunkSalt, chunks.Slice(i * ChunkSize, ChunkSize), 1024, HashAlgorithmName.SHA1);
        }
    }

    /// <summary>Fisher-Yates over the identity, driven by HMAC-SHA256 re-encrypted with the 7 AES keys per step.</summary>
    private static void Shuffle(Span<byte> pad, ReadOnlySpan<byte> chunk, int padNumber, BlockFunction[] keys)
    {
        for (int x = 0; x < PadSize; x++)
        {
            pad[x] = (byte)x;
        }

        Span<byte> h = stackalloc byte[32];
        Span<byte> next = stackalloc byte[32];
        HMACSHA256.HashData(chunk, Encoding.ASCII.GetBytes("QPP_" + Convert.ToString(padNumber, 2)), h);
        for (int i = PadSize - 1; i >= 1; i--)
        {
            foreach (BlockFunction key in keys)
            {
                // AES-ECB of both 16-byte halves, independently.
                key.EncryptBlock(h[..16], next[..16]);
                key.EncryptBlock(h[16..], next[16..]);
                next.CopyTo(h);
            }

            int j = BigEndianModulo(h, i + 1);
            (pad[i], pad[j]) = (pad[j], pad[i]);
        }
    }

    /// <summary>The 256-bit big-endian unsigned integer <paramref name="value"/> modulo a small divisor.</summary>
    private static int BigEndianModulo(ReadOnlySpan<byte> value, int divisor)
    {
        int remainder = 0;
        foreach (byte b in value)
        {
            remainder = ((remainder << 8) | b) % divisor;
        }

        return remainder;
    }
}
