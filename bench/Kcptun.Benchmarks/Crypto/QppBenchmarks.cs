using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;

namespace Kcptun.Benchmarks.Crypto;

/// <summary>QPP stream transform over one 32 KiB write (smux's default frame size), default 61 pads.</summary>
[MemoryDiagnoser]
public class QppBenchmarks
{
    private readonly byte[] _data = new byte[32 * 1024];
    private QppTransform _writer = null!;
    private QppTransform _reader = null!;

    [GlobalSetup]
    public void Setup()
    {
        var pads = QuantumPermutationPad.Create("testkey");
        _writer = pads.CreateTransform();
        _reader = pads.CreateTransform();
        new Random(1).NextBytes(_data);
    }

    [Benchmark]
    public void Encrypt() => _writer.Encrypt(_data);

    [Benchmark]
    public void Decrypt() => _reader.Decrypt(_data);
}
