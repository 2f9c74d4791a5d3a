using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Kcptun.ReedSolomon;

namespace Kcptun.Benchmarks.Fec;

/// <summary>
/// RS 10+3 on 1350-byte shards (kcptun's default FEC and MTU) per kernel; the Ratio column is the speed-up over the
/// scalar kernel. Data throughput = 10 x 1350 bytes / mean time.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class ReedSolomonBenchmarks
{
    private const int DataShards = 10;
    private const int ParityShards = 3;
    private const int ShardSize = 1350;

    private readonly Dictionary<ReedSolomonKernel, ReedSolomonCodec> _codecs = [];
    private ReadOnlyMemory<byte>[] _data = [];
    private Memory<byte>[] _parity = [];
    private Memory<byte>[] _shards = [];
    private readonly bool[] _present = new bool[DataShards + ParityShards];

    [GlobalSetup]
    public void Setup()
    {
        foreach (ReedSolomonKernel kernel in Enum.GetValues<ReedSolomonKernel>())
        {
            _codecs[kernel] = new ReedSolomonCodec(DataShards, ParityShards, kernel);
        }

        var random = new Random(42);
        var shards = new byte[DataShards + ParityShards][];
        for (int i = 0; i < shards.Length; i++)
        {
            shards[i] = new byte[ShardSize];
            if (i < DataShards)
            {
                random.NextBytes(shards[i]);
            }
        }

        _data = [.. shards.Take(DataShards).Select(s => (ReadOnlyMemory<byte>)s)];
        _parity = [.. shards.Skip(DataShards).Select(s => (Memory<byte>)s)];
        _shards = [.. shards.Select(s => (Memory<byte>)s)];
        _codecs[ReedSolomonKernel.Scalar].Encode(_data, _parity);

        // Three data shards lost: the worst case for 10+3.
        Array.Fill(_present, true);
        _present[0] = _present[4] = _present[9] = false;
        foreach (ReedSolomonCodec codec in _codecs.Values)
        {
            codec.ReconstructData(_shards, _present);   // fill the inversion cache as a running decoder would
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public void Encode_Scalar() => _codecs[ReedSolomonKernel.Scalar].Encode(_data, _parity);

    [Benchmark, BenchmarkCategory("Encode")]
    public void Encode_Vector128() => _codecs[ReedSolomonKernel.Vector128].Encode(_data, _parity);

    [Benchmark, BenchmarkCategory("Encode")]
    public void Encode_Vector256() => _codecs[ReedSolomonKernel.Vector256].Encode(_data, _parity);

    [Benchmark(Baseline = true), BenchmarkCategory("Reconstruct3")]
    public bool Reconstruct3_Scalar() => _codecs[ReedSolomonKernel.Scalar].ReconstructData(_shards, _present);

    [Benchmark, BenchmarkCategory("Reconstruct3")]
    public bool Reconstruct3_Vector128() => _codecs[ReedSolomonKernel.Vector128].ReconstructData(_shards, _present);

    [Benchmark, BenchmarkCategory("Reconstruct3")]
    public bool Reconstruct3_Vector256() => _codecs[ReedSolomonKernel.Vector256].ReconstructData(_shards, _present);
}
