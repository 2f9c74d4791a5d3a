using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;

namespace Kcptun.Benchmarks.Crypto;

/// <summary>
/// Building QPP's pads (once per process, at start-up): the default 61, a mid-size count and the largest prime below
/// 65535, the cap on --QPPCount. From 256 pads the build runs on every core, so the large counts depend on the
/// machine's cores and load.
/// </summary>
[MemoryDiagnoser]
public class QppPadBenchmarks
{
    [Params(61, 4093, 65521)]
    public int Pads { get; set; }

    [Benchmark]
    public QuantumPermutationPad Create() => QuantumPermutationPad.Create("testkey", Pads);
}
