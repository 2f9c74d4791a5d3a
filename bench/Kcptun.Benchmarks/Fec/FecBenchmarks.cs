using BenchmarkDotNet.Attributes;
using Kcptun.Diagnostics;
using Kcptun.Fec;

namespace Kcptun.Benchmarks.Fec;

/// <summary>
/// Per-packet cost of the FEC stages with kcptun's defaults (10+3, 1350-byte datagrams, 20-byte crypto header):
/// the encoder per data packet (parity work amortised), the decoder per received packet with no loss and with one
/// data packet lost per set (one recovery per 12 packets).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class FecBenchmarks
{
    private const int DataShards = 10;
    private const int ParityShards = 3;
    private const int Total = DataShards + ParityShards;
    private const int Mtu = 1350;
    private const int CryptHeader = 20;

    private readonly byte[][] _datagrams = new byte[DataShards][];
    private readonly byte[][] _set = new byte[Total][];   // one set's FEC packets (from the FEC header on)
    private FecEncoder _encoder = null!;
    private FecDecoder _decoder = null!;
    private uint _nextSet;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _encoder = new FecEncoder(DataShards, ParityShards, CryptHeader, Mtu);
        for (int i = 0; i < DataShards; i++)
        {
            _datagrams[i] = new byte[random.Next(Mtu - 300, Mtu + 1)];
            random.NextBytes(_datagrams[i]);
        }

        var encoder = new FecEncoder(DataShards, ParityShards, CryptHeader, Mtu);
        for (int i = 0; i < DataShards; i++)
        {
            byte[] datagram = (byte[])_datagrams[i].Clone();
            int ready = encoder.Encode(datagram);
            _set[i] = datagram[CryptHeader..];
            for (int p = 0; p < ready; p++)
            {
                _set[DataShards + p] = encoder.ParityDatagram(p)[CryptHeader..].ToArray();
            }
        }

        _decoder = new FecDecoder(DataShards, ParityShards, new SnmpCounters());
    }

    [Benchmark(OperationsPerInvoke = DataShards)]
    public int EncodePerPacket()
    {
        int ready = 0;
        foreach (byte[] datagram in _datagrams)
        {
            ready += _encoder.Encode(datagram);
        }

        return ready;
    }

    [Benchmark(OperationsPerInvoke = Total)]
    public int DecodePerPacket_NoLoss() => DecodeSet(lost: -1);

    [Benchmark(OperationsPerInvoke = Total - 1)]
    public int DecodePerPacket_OneLostPerSet() => DecodeSet(lost: 3);

    private int DecodeSet(int lost)
    {
        // Give the replayed set fresh seqids so the decoder sees an endless stream.
        uint first = _nextSet++ * Total;
        int recovered = 0;
        for (int i = 0; i < Total; i++)
        {
            if (i == lost)
            {
                continue;
            }

            BitConverter.TryWriteBytes(_set[i], first + (uint)i);
            recovered += _decoder.Decode(_set[i], 0);
        }

        return recovered;
    }
}
