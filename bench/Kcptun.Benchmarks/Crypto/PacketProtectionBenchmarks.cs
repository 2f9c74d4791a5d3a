using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;

namespace Kcptun.Benchmarks.Crypto;

/// <summary>
/// Seal and TryOpen of one 1350-byte datagram (the default --mtu) per cipher. Throughput = 1350 B / mean time;
/// kcp-go's README figure counts Encrypt+Decrypt of one datagram as 2 x its length (compare with RoundTrip).
/// </summary>
[MemoryDiagnoser]
public class PacketProtectionBenchmarks
{
    private const int DatagramSize = 1350;

    private readonly byte[] _buffer = new byte[DatagramSize + 16];
    private readonly byte[] _sealed = new byte[DatagramSize + 16];
    private readonly byte[] _work = new byte[DatagramSize + 16];
    private PacketProtection _protection = null!;
    private int _sealedLength;

    [Params("aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea", "xor", "sm4", "none", "aes-128-gcm", "null")]
    public string Crypt { get; set; } = "aes";

    [GlobalSetup]
    public void Setup()
    {
        _protection = PacketProtection.Create(Crypt, PacketProtection.DeriveKey("testkey"), WireGeneration.Latest);
        new Random(1).NextBytes(_buffer);
        _buffer.CopyTo(_sealed, 0);
        _sealedLength = _protection.Seal(_sealed, DatagramSize - _protection.TrailerSize);
    }

    [Benchmark]
    public int Seal() => _protection.Seal(_buffer, DatagramSize - _protection.TrailerSize);

    [Benchmark]
    public bool TryOpen()
    {
        _sealed.AsSpan(0, _sealedLength).CopyTo(_work);
        return _protection.TryOpen(_work.AsSpan(0, _sealedLength), out _);
    }

    /// <summary>Seal then TryOpen of the same datagram, like kcp-go's benchCrypt (Encrypt + Decrypt).</summary>
    [Benchmark]
    public bool RoundTrip()
    {
        int length = _protection.Seal(_buffer, DatagramSize - _protection.TrailerSize);
        return _protection.TryOpen(_buffer.AsSpan(0, length), out _);
    }
}
