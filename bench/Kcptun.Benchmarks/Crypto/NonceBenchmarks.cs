using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;

namespace Kcptun.Benchmarks.Crypto;

/// <summary>Per-datagram nonce cost: one OS CSPRNG call per nonce versus the pooled generator the sealer uses.</summary>
[MemoryDiagnoser]
public class NonceBenchmarks
{
    private readonly byte[] _nonce = new byte[16];
    private readonly RandomNonceGenerator _pooled = new();

    [Benchmark(Baseline = true)]
    public void RandomNumberGeneratorFillPerNonce() => RandomNumberGenerator.Fill(_nonce);

    [Benchmark]
    public void PooledGenerator() => _pooled.Fill(_nonce);
}
