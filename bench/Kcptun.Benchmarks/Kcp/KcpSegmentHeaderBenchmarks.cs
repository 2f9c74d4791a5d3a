using BenchmarkDotNet.Attributes;
using Kcptun.Kcp;

namespace Kcptun.Benchmarks.Kcp;

/// <summary>Encode and decode of the 24-byte KCP segment header.</summary>
[MemoryDiagnoser]
public class KcpSegmentHeaderBenchmarks
{
    private readonly byte[] _buffer = new byte[KcpSegmentHeader.Size * 64];
    private KcpSegmentHeader _header = new(0x12345678, KcpCommand.Push, 0, 1024, 123456, 42, 40, 1298);

    [Benchmark(OperationsPerInvoke = 64)]
    public void Encode()
    {
        var span = _buffer.AsSpan();
        for (var i = 0; i < 64; i++)
        {
            _header.Write(span[(i * KcpSegmentHeader.Size)..]);
        }
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public uint Decode()
    {
        ReadOnlySpan<byte> span = _buffer;
        uint sum = 0;
        for (var i = 0; i < 64; i++)
        {
            KcpSegmentHeader.TryRead(span[(i * KcpSegmentHeader.Size)..], out var header);
            sum += header.SequenceNumber;
        }

        return sum;
    }
}
