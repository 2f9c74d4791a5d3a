namespace Kcptun.ReedSolomon;

public sealed partial class ReedSolomonCodec
{
    /// <summary>
    /// The one matrix-times-shards routine: output k = XOR over j of matrix[rows[k]][j] * input j, first length bytes.
    /// Outputs go in groups of up to four so each input is read (and split into nibbles) once per group.
    /// </summary>
    private void Combine<TInputs, TOutputs>(ReadOnlySpan<byte> matrix, ReadOnlySpan<int> rows, TInputs inputs, TOutputs outputs, int length)
        where TInputs : IShardReader, allows ref struct
        where TOutputs : IShardWriter, allows ref struct
    {
        int inputCount = inputs.Count;
        Span<byte> coefficients = stackalloc byte[GaloisKernels.MaxOutputsPerPass];
        for (int first = 0; first < rows.Length; first += GaloisKernels.MaxOutputsPerPass)
        {
            int count = Math.Min(GaloisKernels.MaxOutputsPerPass, rows.Length - first);
            Span<byte> output0 = outputs.Get(first)[..length];
            Span<byte> output1 = count > 1 ? outputs.Get(first + 1)[..length] : default;
            Span<byte> output2 = count > 2 ? outputs.Get(first + 2)[..length] : default;
            Span<byte> output3 = count > 3 ? outputs.Get(first + 3)[..length] : default;
            for (int j = 0; j < inputCount; j++)
            {
                for (int k = 0; k < count; k++)
                {
                    coefficients[k] = matrix[(rows[first + k] * inputCount) + j];
                }

                GaloisKernels.MultiplyMany(
                    Kernel, coefficients[..count], inputs.Get(j)[..length], output0, output1, output2, output3, accumulate: j > 0);
            }
        }
    }

    private interface IShardReader
    {
        int Count { get; }

        ReadOnlySpan<byte> Get(int index);
    }

    private interface IShardWriter
    {
        Span<byte> Get(int index);
    }

    /// <summary>Input j = shards[j].</summary>
    private readonly ref struct ShardList(ReadOnlySpan<ReadOnlyMemory<byte>> shards) : IShardReader
    {
        private readonly ReadOnlySpan<ReadOnlyMemory<byte>> _shards = shards;

        public int Count => _shards.Length;

        public ReadOnlySpan<byte> Get(int index) => _shards[index].Span;
    }

    /// <summary>Entry i = shards[indices[i]].</summary>
    private readonly ref struct IndexedShards(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<int> indices) : IShardReader, IShardWriter
    {
        private readonly ReadOnlySpan<Memory<byte>> _shards = shards;
        private readonly ReadOnlySpan<int> _indices = indices;

        public int Count => _indices.Length;

        ReadOnlySpan<byte> IShardReader.Get(int index) => _shards[_indices[index]].Span;

        public Span<byte> Get(int index) => _shards[_indices[index]].Span;
    }

    /// <summary>A single output.</summary>
    private readonly ref struct SingleOutput(Span<byte> output) : IShardWriter
    {
        private readonly Span<byte> _output = output;

        public Span<byte> Get(int index) => _output;
    }
}
