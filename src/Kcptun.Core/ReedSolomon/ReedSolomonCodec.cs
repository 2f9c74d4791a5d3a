using System.Buffers;

namespace Kcptun.ReedSolomon;

/// <summary>
/// The systematic Reed-Solomon erasure code of kcp-go (klauspost/reedsolomon with default options,
/// docs/protocol/fec.md §5.3): GF(2^8) 0x11D, encoding matrix = Vandermonde x inverse of its top square, so the data shards pass
/// unchanged and any <see cref="DataShards"/> of the <see cref="TotalShards"/> shards rebuild the rest.
/// </summary>
/// <remarks>
/// Shards are <see cref="Memory{T}"/> regions of equal length (any array and offset). Encode and Verify may run
/// concurrently; the reconstruct methods share an inversion cache guarded by a lock. Shards must not overlap.
/// </remarks>
public sealed partial class ReedSolomonCodec
{
    /// <summary>The largest <see cref="TotalShards"/> a GF(2^8) code supports.</summary>
    public const int MaxTotalShards = 256;

    // (TotalShards x DataShards), row-major; rows [0, DataShards) are the identity.
    private readonly byte[] _matrix;

    /// <summary>Creates the code for <paramref name="dataShards"/> data and <paramref name="parityShards"/> parity shards.</summary>
    /// <param name="dataShards">D, at least 1.</param>
    /// <param name="parityShards">P, at least 1; D + P at most 256.</param>
    /// <param name="kernel">The multiply kernel; null picks the widest this machine supports. A kernel the
    /// machine cannot run falls back to the next narrower one.</param>
    public ReedSolomonCodec(int dataShards, int parityShards, ReedSolomonKernel? kernel = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dataShards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parityShards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataShards + parityShards, MaxTotalShards, nameof(parityShards));
        DataShards = dataShards;
        ParityShards = parityShards;
        Kernel = kernel ?? GaloisKernels.Best;
        _matrix = GaloisMatrix.BuildEncodingMatrix(dataShards, parityShards);
    }

    /// <summary>D: the number of data shards.</summary>
    public int DataShards { get; }

    /// <summary>P: the number of parity shards.</summary>
    public int ParityShards { get; }

    /// <summary>D + P.</summary>
    public int TotalShards => DataShards + ParityShards;

    /// <summary>The kernel requested for this codec (it degrades to a narrower one where unsupported).</summary>
    public ReedSolomonKernel Kernel { get; }

    /// <summary>The widest kernel this machine (and DOTNET_EnableHWIntrinsic) supports.</summary>
    public static ReedSolomonKernel BestKernel => GaloisKernels.Best;

    /// <summary>Whether <paramref name="kernel"/> runs natively here (otherwise it falls back to a narrower one).</summary>
    public static bool IsKernelSupported(ReedSolomonKernel kernel) => GaloisKernels.IsSupported(kernel);

    /// <summary>Row <paramref name="index"/> of the encoding matrix: the coefficient of each data shard.</summary>
    /// <param name="index">0..TotalShards-1; rows D.. are the parity rows.</param>
    public ReadOnlySpan<byte> EncodingMatrixRow(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, TotalShards);
        return _matrix.AsSpan(index * DataShards, DataShards);
    }

    /// <summary>Computes the parity shards from the data shards.</summary>
    /// <param name="dataShards">D shards of one common length.</param>
    /// <param name="parityShards">P outputs, or fewer (then the first that many parity rows), each at least that long;
    /// the first length bytes are written.</param>
    public void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> dataShards, ReadOnlySpan<Memory<byte>> parityShards)
    {
        if (dataShards.Length != DataShards)
        {
            throw new ArgumentException($"Expected {DataShards} data shards.", nameof(dataShards));
        }

        if (parityShards.Length > ParityShards)
        {
            throw new ArgumentException($"Expected at most {ParityShards} parity shards.", nameof(parityShards));
        }

        int length = CommonLength(dataShards);
        foreach (Memory<byte> parity in parityShards)
        {
            if (parity.Length < length)
            {
                throw new ArgumentException("A parity shard is shorter than the data shards.", nameof(parityShards));
            }
        }

        Span<int> parityRows = stackalloc int[parityShards.Length];
        Span<int> outputs = stackalloc int[parityShards.Length];
        for (int p = 0; p < parityShards.Length; p++)
        {
            parityRows[p] = DataShards + p;
            outputs[p] = p;
        }

        Combine(_matrix, parityRows, new ShardList(dataShards), new IndexedShards(parityShards, outputs), length);
    }

    /// <summary>Whether the parity shards match the data shards.</summary>
    /// <param name="shards">All D + P shards (data first), of one common length.</param>
    public bool Verify(ReadOnlySpan<ReadOnlyMemory<byte>> shards)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards.", nameof(shards));
        }

        int length = CommonLength(shards);
        ReadOnlySpan<ReadOnlyMemory<byte>> data = shards[..DataShards];
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            for (int p = 0; p < ParityShards; p++)
            {
                Span<byte> expected = scratch.AsSpan(0, length);
                Combine(_matrix, [DataShards + p], new ShardList(data), new SingleOutput(expected), length);
                if (!expected.SequenceEqual(shards[DataShards + p].Span))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static int CommonLength(ReadOnlySpan<ReadOnlyMemory<byte>> shards)
    {
        int length = shards[0].Length;
        foreach (ReadOnlyMemory<byte> shard in shards)
        {
            if (shard.Length != length)
            {
                throw new ArgumentException("Shards differ in length.", nameof(shards));
            }
        }

        return length;
    }
}
