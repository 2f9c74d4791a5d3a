using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Transport;

namespace Kcptun.Benchmarks.Transport;

/// <summary>
/// Per-datagram versus batched UDP I/O on loopback (64-bit Linux: sendmmsg/recvmmsg), full-size 1350-byte datagrams.
/// One operation = one datagram, so the mean is ns per datagram (datagrams/s = 1e9 / mean); every case must allocate
/// 0 B. <c>Send*</c>: sending alone (a drain thread empties the receiver with recvmmsg so the kernel path is the
/// normal one). <c>Receive*</c>: one batched send of <see cref="BatchSize"/> datagrams plus reading them back, so the
/// difference between the two is the receive cost. <c>Pipeline*</c>: the session's send path for aes + FEC 10/3,
/// from KCP output to the socket: seal and send each at once versus copy into the batch, SealMany, sendmmsg.
/// Run: <c>dotnet run -c Release --project bench/Kcptun.Benchmarks -- --filter '*DatagramBatch*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class DatagramBatchBenchmarks
{
    private const int DatagramSize = 1350;

    private Socket _receiver = null!;
    private Socket _sender = null!;
    private LinuxBatchDatagramSocket _sendSocket = null!;
    private LinuxBatchDatagramSocket _receiveSocket = null!;
    private SocketAddress _destination = null!;
    private DatagramBatch _sendBatch = null!;
    private DatagramBatch _receiveBatch = null!;
    private readonly byte[] _datagram = new byte[DatagramSize];
    private readonly byte[] _readBuffer = new byte[2048];
    private SocketAddress _source = null!;
    private Thread? _drain;
    private volatile bool _draining;

    private PacketPipeline _perDatagramPipeline = null!;
    private PacketPipeline _batchedPipeline = null!;
    private readonly byte[] _kcpOutput = new byte[1500 + 32];
    private int _kcpLength;

    /// <summary>Datagrams per sendmmsg/recvmmsg call (and per operation group).</summary>
    [Params(16, 32, 64)]
    public int BatchSize { get; set; }

    [GlobalSetup(Targets = [nameof(SendPerDatagram), nameof(SendBatched), nameof(PipelinePerDatagram), nameof(PipelineBatched)])]
    public void SetupSend()
    {
        CreateSockets();
        _draining = true;
        _drain = new Thread(Drain) { IsBackground = true, Name = "bench drain" };
        _drain.Start();

        byte[] key = PacketProtection.DeriveKey("bench");
        var options = new KcpSessionOptions { DataShards = 10, ParityShards = 3 };
        var sink = new SocketSink(_sendSocket, _destination);
        _perDatagramPipeline = new PacketPipeline(PacketProtection.Create("aes", key, WireGeneration.Debian), options,
            new SnmpCounters(), sink);
        _batchedPipeline = new PacketPipeline(PacketProtection.Create("aes", key, WireGeneration.Debian), options,
            new SnmpCounters(), sink, new DatagramBatch(BatchSize));
        _kcpLength = DatagramSize - 16;
        new Random(3).NextBytes(_kcpOutput);
    }

    [GlobalSetup(Targets = [nameof(ReceivePerDatagram), nameof(ReceiveBatched)])]
    public void SetupReceive() => CreateSockets();

    private void CreateSockets()
    {
        _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 8 << 20 };
        _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _destination = _receiver.LocalEndPoint!.Serialize();
        _source = new SocketAddress(AddressFamily.InterNetwork);
        if (!LinuxSocketCalls.IsSupported)
        {
            throw new PlatformNotSupportedException("batched I/O needs 64-bit Linux");
        }

        _sendSocket = new LinuxBatchDatagramSocket(_sender);
        _receiveSocket = new LinuxBatchDatagramSocket(_receiver, receiveBatchSize: BatchSize);

        _sendBatch = new DatagramBatch(BatchSize);
        for (int i = 0; i < BatchSize; i++)
        {
            _sendBatch.NextSlot[..DatagramSize].Fill((byte)i);
            _sendBatch.Commit(DatagramSize);
        }

        _receiveBatch = new DatagramBatch(BatchSize);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _draining = false;
        _sendSocket.Dispose();
        _receiveSocket.Dispose(); // wakes the drain thread
        _drain?.Join();
    }

    private void Drain()
    {
        var batch = new DatagramBatch(64);
        while (_draining && _receiveSocket.ReceiveMany(batch, out _) >= 0)
        {
        }
    }

    [BenchmarkCategory("send")]
    [Benchmark(Baseline = true, OperationsPerInvoke = 64)]
    public void SendPerDatagram()
    {
        for (int i = 0; i < 64; i++)
        {
            _sender.SendTo(_datagram, SocketFlags.None, _destination);
        }
    }

    [BenchmarkCategory("send")]
    [Benchmark(OperationsPerInvoke = 64)]
    public void SendBatched()
    {
        for (int sent = 0; sent < 64; sent += BatchSize)
        {
            _sendSocket.SendBatch(_sendBatch, 0, BatchSize, _destination, out _, out _);
        }
    }

    [BenchmarkCategory("receive")]
    [Benchmark(OperationsPerInvoke = 64)]
    public void ReceivePerDatagram()
    {
        for (int sent = 0; sent < 64; sent += BatchSize)
        {
            _sendSocket.SendBatch(_sendBatch, 0, BatchSize, _destination, out _, out _);
            for (int i = 0; i < BatchSize; i++)
            {
                _receiver.ReceiveFrom(_readBuffer, SocketFlags.None, _source);
            }
        }
    }

    [BenchmarkCategory("receive")]
    [Benchmark(OperationsPerInvoke = 64)]
    public void ReceiveBatched()
    {
        for (int sent = 0; sent < 64; sent += BatchSize)
        {
            _sendSocket.SendBatch(_sendBatch, 0, BatchSize, _destination, out _, out _);
            for (int received = 0; received < BatchSize;)
            {
                received += _receiveSocket.ReceiveMany(_receiveBatch, out _);
            }
        }
    }

    /// <summary>64 KCP outputs (plus their FEC parity: 83 datagrams) sealed and sent one by one.</summary>
    [BenchmarkCategory("pipeline")]
    [Benchmark(OperationsPerInvoke = 64)]
    public void PipelinePerDatagram()
    {
        for (int i = 0; i < 64; i++)
        {
            _perDatagramPipeline.Output(_kcpOutput, _kcpLength);
        }
    }

    /// <summary>64 KCP outputs (plus parity) copied into batches, sealed with SealMany, sent with sendmmsg.</summary>
    [BenchmarkCategory("pipeline")]
    [Benchmark(OperationsPerInvoke = 64)]
    public void PipelineBatched()
    {
        for (int i = 0; i < 64; i++)
        {
            _batchedPipeline.Output(_kcpOutput, _kcpLength);
        }

        _batchedPipeline.SendPending();
    }

    /// <summary>What the session does with a pipeline's output: per datagram, or per batch through sendmmsg.</summary>
    private sealed class SocketSink(DatagramSocket socket, SocketAddress destination) : IDatagramSink
    {
        public void Send(ReadOnlySpan<byte> datagram) => socket.TrySend(datagram, destination, out _);

        public void SendBatch(DatagramBatch batch) => socket.SendBatch(batch, 0, batch.Count, destination, out _, out _);
    }
}
