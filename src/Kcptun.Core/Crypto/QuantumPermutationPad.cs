using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Kcptun.Crypto;

/// <summary>
/// Latest kcptun's QPP (docs/protocol/generations.md §11.4, xtaci/qpp 1.1.25): a set of byte permutations derived from the raw
/// <c>--key</c> string, applied to smux stream payloads through a per-direction <see cref="QppTransform"/>.
/// Build one per process (pad generation: 255 shuffle steps × 7 keys × 2 = 3,570 AES-256 blocks per pad, some 12 µs
/// a pad with AES-NI, spread over the cores from <see cref="ParallelThreshold"/> pads); it is immutable and shared by
/// all streams.
/// </summary>
public sealed class QuantumPermutationPad
{
    /// <summary>kcptun's default <c>--QPPCount</c>.</summary>
    public const int DefaultPadCount = 61;

    internal const int PadSize = 256;
    private const int ChunkCount = 7; // ceil(211 / 32): 211 bytes hold 256!
    private const int ChunkSize = 32;
    private const int HashSize = 32; // the shuffle's state: an HMAC-SHA256, re-encrypted as two AES blocks

    /// <summary>
    /// Pads one thread shuffles together. Their 32 AES blocks a step go to each key in one
    /// <see cref="BlockFunction.EncryptBlocks"/> call: AES-NI runs them eight at a time interleaved, the BCL in one
    /// native call (per-call overhead was most of its time). 16 measured as fast as 4 or 8 on AES-NI, twice as fast
    /// on the BCL.
    /// </summary>
    private const int Interleave = 16;

    /// <summary>
    /// From this many pads on, the build runs on every core (some 3 ms of work at 256 pads, against waking
    /// thread-pool threads; the default 61 pads stay on the caller's thread).
    /// </summary>
    internal const int ParallelThreshold = 256;

    private static readonly byte[] s_chunkSalt = "___QUANTUM_PERMUTATION_PAD_SEED_DERIVE___"u8.ToArray();
    private static readonly byte[] s_shuffleSalt = "___QUANTUM_PERMUTATION_PAD_SHUFFLE_SALT___"u8.ToArray();
    private static readonly byte[] s_prngSalt = "___QUANTUM_PERMUTATION_PAD_PRNG_SALT___"u8.ToArray();
    private static readonly byte[] s_selector = "PERMUTATION_MATRIX_SELECTOR"u8.ToArray();

    private static readonly ulong[] s_moduloMultipliers = ModuloMultipliers();
    private static readonly uint[] s_moduloWeights = ModuloWeights();

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
        var keyBytes = new byte[ChunkCount][];
        for (int i = 0; i < ChunkCount; i++)
        {
            keyBytes[i] = Rfc2898DeriveBytes.Pbkdf2(chunks.Slice(i * ChunkSize, ChunkSize), s_shuffleSalt, 128, HashAlgorithmName.SHA1, 32);
        }

        int groups = (padCount + Interleave - 1) / Interleave;
        if (padCount < ParallelThreshold)
        {
            BlockFunction[] keys = CreateKeys(keyBytes);
            try
            {
                for (int g = 0; g < groups; g++)
                {
                    ShuffleGroup(g, keys);
                }
            }
            finally
            {
                DisposeKeys(keys);
            }
        }
        else
        {
            // Every pad depends only on the seed chunks and its number, so the groups are built on all cores. Each
            // worker has its own key objects (the portable BclAesBlock is not thread-safe) and writes only its groups'
            // slices of the arrays: the bytes are those of a one-thread build.
            Parallel.For(0, groups, () => CreateKeys(keyBytes), (g, _, keys) =>
            {
                ShuffleGroup(g, keys);
                return keys;
            }, DisposeKeys);
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

    private static BlockFunction[] CreateKeys(byte[][] keyBytes)
    {
        var keys = new BlockFunction[keyBytes.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = AesNiBlock.Create(keyBytes[i]);
        }

        return keys;
    }

    private static void DisposeKeys(BlockFunction[] keys)
    {
        foreach (var key in keys)
        {
            (key as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Pads <paramref name="group"/>·<see cref="Interleave"/> onwards (up to <see cref="Interleave"/> of them): for each,
    /// Fisher-Yates over the identity, driven by HMAC-SHA256 re-encrypted with the 7 AES keys per step. The pads'
    /// hash states sit side by side so that each key encrypts all their 16-byte halves in one call: the AES chains of a
    /// pad are serial (each step encrypts the last step's output), but those of different pads and halves are not.
    /// </summary>
    // Runs in the first call of a process, at start-up: straight to optimised code, as tier 0 and on-stack replacement
    // made a cold 4093-pad build take twice as long as a warm one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ShuffleGroup(int group, BlockFunction[] keys)
    {
        int first = group * Interleave;
        int count = Math.Min(Interleave, PadCount - first);
        Span<byte> h = stackalloc byte[Interleave * HashSize];
        Span<byte> next = stackalloc byte[Interleave * HashSize];
        h = h[..(count * HashSize)];
        next = next[..(count * HashSize)];
        Span<byte> label = stackalloc byte[4 + 32];
        for (int k = 0; k < count; k++)
        {
            int p = first + k;
            Span<byte> pad = _pads.AsSpan(p * PadSize, PadSize);
            for (int x = 0; x < PadSize; x++)
            {
                pad[x] = (byte)x;
            }

            HMACSHA256.HashData(SeedChunks.AsSpan((p % ChunkCount) * ChunkSize, ChunkSize), label[..Label(p, label)], h.Slice(k * HashSize, HashSize));
        }

        for (int i = PadSize - 1; i >= 1; i--)
        {
            foreach (BlockFunction key in keys)
            {
                // AES-ECB of every 16-byte half, independently.
                key.EncryptBlocks(h, next);
                Span<byte> swap = h;
                h = next;
                next = swap;
            }

            for (int k = 0; k < count; k++)
            {
                Span<byte> pad = _pads.AsSpan((first + k) * PadSize, PadSize);
                int j = BigEndianModulo(h.Slice(k * HashSize, HashSize), i + 1);
                (pad[i], pad[j]) = (pad[j], pad[i]);
            }
        }

        for (int k = 0; k < count; k++)
        {
            int p = first + k;
            ReadOnlySpan<byte> pad = _pads.AsSpan(p * PadSize, PadSize);
            Span<byte> reverse = _reversePads.AsSpan(p * PadSize, PadSize);
            for (int x = 0; x < PadSize; x++)
            {
                reverse[pad[x]] = (byte)x;
            }
        }
    }

    /// <summary>
    /// Writes pad <paramref name="padNumber"/>'s HMAC message, "QPP_" and the number in binary (Go's
    /// <c>strconv.FormatInt(n, 2)</c>), without the two strings and the array a pad that cost; returns its length.
    /// </summary>
    private static int Label(int padNumber, Span<byte> label)
    {
        "QPP_"u8.CopyTo(label);
        int bits = padNumber == 0 ? 1 : 32 - BitOperations.LeadingZeroCount((uint)padNumber);
        for (int b = 0; b < bits; b++)
        {
            label[4 + b] = (byte)('0' + ((padNumber >> (bits - 1 - b)) & 1));
        }

        return 4 + bits;
    }

    /// <summary>
    /// The 256-bit big-endian unsigned integer <paramref name="value"/> modulo <paramref name="divisor"/> (1 to 256),
    /// as Go's <c>big.Int.Mod</c>. The value is eight 32-bit words w0..w7 (w0 most significant), so it is congruent to
    /// Σ (w_k mod d)·(2^(32·(7-k)) mod d): eight independent remainders (no chain through a running remainder) whose
    /// weighted sum stays below 8·255·255. Each remainder is Lemire's division-free one (dotnet/runtime's
    /// HashHelpers.FastMod, exact for any 32-bit value and a divisor below 2^31) with constants from a table built once.
    /// A byte at a time, as first written, this was 32 dependent hardware divisions and most of a pad's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BigEndianModulo(ReadOnlySpan<byte> value, int divisor)
    {
        value = value[..HashSize];
        ReadOnlySpan<uint> weights = s_moduloWeights.AsSpan(divisor * 8, 8);
        ulong multiplier = s_moduloMultipliers[divisor];
        uint d = (uint)divisor;
        uint sum = (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value), d, multiplier) * weights[0])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[4..]), d, multiplier) * weights[1])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[8..]), d, multiplier) * weights[2])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[12..]), d, multiplier) * weights[3])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[16..]), d, multiplier) * weights[4])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[20..]), d, multiplier) * weights[5])
            + (FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[24..]), d, multiplier) * weights[6])
            + FastMod(BinaryPrimitives.ReadUInt32BigEndian(value[28..]), d, multiplier);
        return (int)FastMod(sum, d, multiplier);
    }

    /// <summary>ulong.MaxValue / d + 1 for each divisor d of the shuffle (index 0 unused).</summary>
    private static ulong[] ModuloMultipliers()
    {
        var multipliers = new ulong[PadSize + 1];
        for (int d = 1; d <= PadSize; d++)
        {
            multipliers[d] = (ulong.MaxValue / (uint)d) + 1;
        }

        return multipliers;
    }

    /// <summary>2^(32·(7-k)) mod d for k = 0..7, eight a divisor d (index 0 unused).</summary>
    private static uint[] ModuloWeights()
    {
        var weights = new uint[(PadSize + 1) * 8];
        for (int d = 1; d <= PadSize; d++)
        {
            uint word = (uint)((1UL << 32) % (uint)d);
            uint weight = 1 % (uint)d;
            for (int k = 7; k >= 0; k--)
            {
                weights[(d * 8) + k] = weight;
                weight = weight * word % (uint)d;
            }
        }

        return weights;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FastMod(uint value, uint divisor, ulong multiplier) =>
        (uint)(((((multiplier * value) >> 32) + 1) * divisor) >> 32);
}
