using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;

namespace Kcptun.Benchmarks.Crypto;

/// <summary>
/// Seal and TryOpen of one 1350-byte datagram (the default --mtu). Throughput = 1350 B / time. kcp-go's README
/// figure counts Encrypt + Decrypt of one datagram as 2 x its length: compare it with 2700 B / RoundTrip.
/// SealMany seals 16 datagrams per call and is reported per datagram.
/// TryOpen includes copying the sealed datagram back into the work buffer (about 30 ns).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public abstract class DatagramBenchmarksBase
{
    public const int DatagramSize = 1350;

    /// <summary>Datagrams per <see cref="SealMany"/> call (one KCP flush's worth).</summary>
    public const int BatchSize = 16;

    private const int SlotSize = 1408;

    private readonly byte[] _buffer = new byte[DatagramSize + 16];
    private readonly byte[] _sealed = new byte[DatagramSize + 16];
    private readonly byte[] _work = new byte[DatagramSize + 16];
    private readonly byte[] _slab = new byte[BatchSize * SlotSize];
    private readonly int[] _lengths = new int[BatchSize];
    private PacketProtection _protection = null!;
    private int _sealedLength;

    public abstract string Crypt { get; set; }

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

    /// <summary>
    /// <see cref="PacketProtection.SealMany"/> of <see cref="BatchSize"/> datagrams; reported per datagram
    /// (OperationsPerInvoke), so MB/s = 1350 B / time like <see cref="Seal"/>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int SealMany()
    {
        Span<int> lengths = _lengths;
        lengths.Fill(DatagramSize - _protection.TrailerSize);
        _protection.SealMany(_slab, SlotSize, lengths);
        return lengths[0];
    }

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

/// <summary>The ciphers people use: the default, the fast ones, the latest-only modes.</summary>
public class PacketProtectionBenchmarks : DatagramBenchmarksBase
{
    [Params("aes", "aes-128", "aes-192", "salsa20", "xor", "none", "aes-128-gcm", "null")]
    public override string Crypt { get; set; } = "aes";
}

/// <summary>The legacy block ciphers (BouncyCastle engines and the hand-written TEA/CAST5 rounds under CFB).</summary>
public class LegacyCipherBenchmarks : DatagramBenchmarksBase
{
    [Params("blowfish", "twofish", "cast5", "3des", "tea", "xtea", "sm4")]
    public override string Crypt { get; set; } = "blowfish";
}
