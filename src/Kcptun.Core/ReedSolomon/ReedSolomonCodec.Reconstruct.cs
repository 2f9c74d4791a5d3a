namespace Kcptun.ReedSolomon;

public sealed partial class ReedSolomonCodec
{
    // Inverted sub-matrices keyed by which shard rows were used (the first D present shards). Bounded: cleared when
    // it would grow past this (a 10+3 code has 378 erasure patterns of up to 3 shards).
    private const int MaxCachedInversions = 1024;
    private readonly Dictionary<ShardSet, byte[]> _inversions = [];
    private readonly Lock _inversionLock = new();

    /// <summary>Rebuilds every missing shard (data and parity) from any <see cref="DataShards"/> present ones.</summary>
    /// <param name="shards">All D + P shards; present ones share one length, missing ones are outputs at least that long.</param>
    /// <param name="present">Which shards hold valid data (D + P flags).</param>
    /// <returns>false (nothing written) when fewer than D shards are present.</returns>
    public bool Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present) =>
        Reconstruct(shards, present, dataOnly: false);

    /// <summary>Rebuilds only the missing data shards (all kcp-go's FEC decoder needs).</summary>
    /// <inheritdoc cref="Reconstruct(ReadOnlySpan{Memory{byte}}, ReadOnlySpan{bool})"/>
    public bool ReconstructData(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present) =>
        Reconstruct(shards, present, dataOnly: true);

    private bool Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly)
    {
        if (shards.Length != TotalShards || present.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards and presence flags.", nameof(shards));
        }

        Span<int> used = stackalloc int[DataShards];
        int presentCount = 0;
        int length = -1;
        bool dataMissing = false;
        for (int i = 0; i < TotalShards; i++)
        {
            if (!present[i])
            {
                dataMissing |= i < DataShards;
                continue;
            }

            if (length < 0)
            {
                length = shards[i].Length;
            }
            else if (shards[i].Length != length)
            {
                throw new ArgumentException("Present shards differ in length.", nameof(shards));
            }

            if (presentCount < DataShards)
            {
                used[presentCount] = i;
            }

            presentCount++;
        }

        if (presentCount < DataShards)
        {
            return false;
        }

        for (int i = 0; i < TotalShards; i++)
        {
            if (!present[i] && (i < DataShards || !dataOnly) && shards[i].Length < length)
            {
                throw new ArgumentException("A missing shard's buffer is too short.", nameof(shards));
            }
        }

        // Missing shard indices: data ones are rows of the inverse, parity ones rows of the encoding matrix.
        Span<int> missing = stackalloc int[TotalShards - presentCount];
        int missingData = 0, missingCount = 0;
        for (int i = 0; i < TotalShards; i++)
        {
            if (!present[i] && (i < DataShards || !dataOnly))
            {
                missing[missingCount++] = i;
                missingData += i < DataShards ? 1 : 0;
            }
        }

        if (dataMissing)
        {
            ReadOnlySpan<int> rows = missing[..missingData];
            Combine(GetInversion(used), rows, new IndexedShards(shards, used), new IndexedShards(shards, rows), length);
        }

        if (missingCount > missingData)
        {
            Span<int> dataRows = stackalloc int[DataShards];
            for (int j = 0; j < DataShards; j++)
            {
                dataRows[j] = j;
            }

            ReadOnlySpan<int> rows = missing[missingData..missingCount];
            Combine(_matrix, rows, new IndexedShards(shards, dataRows), new IndexedShards(shards, rows), length);
        }

        return true;
    }

    /// <summary>Number of cached inverted matrices (for tests).</summary>
    internal int CachedInversionCount
    {
        get
        {
            lock (_inversionLock)
            {
                return _inversions.Count;
            }
        }
    }

    /// <summary>The inverse of the sub-matrix made of the encoding-matrix rows <paramref name="rows"/>.</summary>
    private byte[] GetInversion(ReadOnlySpan<int> rows)
    {
        var key = ShardSet.From(rows);
        lock (_inversionLock)
        {
            if (_inversions.TryGetValue(key, out byte[]? cached))
            {
                return cached;
            }
        }

        var matrix = new byte[DataShards * DataShards];
        for (int r = 0; r < DataShards; r++)
        {
            EncodingMatrixRow(rows[r]).CopyTo(matrix.AsSpan(r * DataShards, DataShards));
        }

        // Any D rows of an MDS code's matrix are independent.
        if (!GaloisMatrix.TryInvert(matrix, DataShards))
        {
            throw new InvalidOperationException("Singular decoding matrix: the encoding matrix is not MDS.");
        }

        lock (_inversionLock)
        {
            if (_inversions.Count >= MaxCachedInversions)
            {
                _inversions.Clear();
            }

            _inversions[key] = matrix;
        }

        return matrix;
    }

    /// <summary>A set of up to 256 shard indices as a bit mask (the inversion cache key).</summary>
    private readonly record struct ShardSet(ulong Bits0, ulong Bits1, ulong Bits2, ulong Bits3)
    {
        public static ShardSet From(ReadOnlySpan<int> indices)
        {
            Span<ulong> bits = stackalloc ulong[4];
            foreach (int index in indices)
            {
                bits[index >> 6] |= 1UL << (index & 63);
            }

            return new ShardSet(bits[0], bits[1], bits[2], bits[3]);
        }
    }
}
