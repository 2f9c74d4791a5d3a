using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// Batched UDP I/O (recvmmsg/sendmmsg on 64-bit Linux) and the portable one-datagram-per-call path, which every test
/// also runs (<c>batchIO: false</c>). Datagrams are queued in the socket before the receive loop starts, so a
/// batched read really returns many at once; loopback keeps one sender's order, so no test sleeps.
/// </summary>
public sealed class BatchDatagramTests
{
    private readonly CancellationToken _ct = TimeoutToken();

    /// <summary>Records what a receive loop delivers; completes once <c>expected</c> events were seen.</summary>
    private sealed class RecordingReceiver(int expected) : IDatagramReceiver
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _events;

        public List<(byte[] Data, IPEndPoint Source)> Datagrams { get; } = [];

        public List<SocketError> Errors { get; } = [];

        public Task Done => _done.Task;

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            Datagrams.Add((datagram.ToArray(), SocketAddresses.ToEndPoint(source)));
            Seen();
        }

        public void OnReceiveError(SocketError error)
        {
            Errors.Add(error);
            Seen();
        }

        public void OnDatagramFault(Exception fault) => _done.TrySetException(fault);

        public void OnReceiveStopped(Exception? error)
        {
            if (error is not null)
            {
                _done.TrySetException(error);
            }
        }

        private void Seen()
        {
            if (++_events == expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private static Socket Bound(IPAddress address, bool dualMode = false)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (dualMode)
        {
            socket.DualMode = true;
        }

        socket.ReceiveBufferSize = 1 << 20;
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private static IPEndPoint Plain(IPEndPoint endPoint) => endPoint.Address.IsIPv4MappedToIPv6
        ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
        : endPoint;

    [Fact]
    public void Message_header_layout_is_the_lp64_linux_one()
    {
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, LinuxSocketCalls.IsSupported);
        Assert.Equal(64, Marshal.SizeOf<LinuxSocketCalls.MessageHeader>());
        Assert.Equal(16, Marshal.SizeOf<LinuxSocketCalls.IoVector>());
        Assert.Equal(8, (int)Marshal.OffsetOf<LinuxSocketCalls.MessageHeader>(nameof(LinuxSocketCalls.MessageHeader.NameLength)));
        Assert.Equal(16, (int)Marshal.OffsetOf<LinuxSocketCalls.MessageHeader>(nameof(LinuxSocketCalls.MessageHeader.Vectors)));
        Assert.Equal(48, (int)Marshal.OffsetOf<LinuxSocketCalls.MessageHeader>(nameof(LinuxSocketCalls.MessageHeader.Flags)));
        Assert.Equal(56, (int)Marshal.OffsetOf<LinuxSocketCalls.MessageHeader>(nameof(LinuxSocketCalls.MessageHeader.Length)));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Receive_delivers_many_datagrams_from_several_sources_in_order(bool batchIO, bool dualStack)
    {
        const int PerPeer = 40;
        using Socket receiving = dualStack ? Bound(IPAddress.IPv6Any, dualMode: true) : Bound(IPAddress.Loopback);
        var peers = new List<(Socket Socket, IPEndPoint Target)>();
        try
        {
            peers.Add((Bound(IPAddress.Loopback), new IPEndPoint(IPAddress.Loopback, Port(receiving))));
            peers.Add((Bound(IPAddress.Loopback), new IPEndPoint(IPAddress.Loopback, Port(receiving))));
            if (dualStack)
            {
                peers.Add((Bound(IPAddress.IPv6Loopback), new IPEndPoint(IPAddress.IPv6Loopback, Port(receiving))));
                peers.Add((Bound(IPAddress.IPv6Loopback), new IPEndPoint(IPAddress.IPv6Loopback, Port(receiving))));
            }

            // Interleaved, all queued before the loop starts: each peer's datagram i carries (peer, i) and a size
            // that varies, so lengths are checked too.
            for (int i = 0; i < PerPeer; i++)
            {
                for (int p = 0; p < peers.Count; p++)
                {
                    byte[] datagram = new byte[8 + ((i * 37) + (p * 11)) % 1400];
                    BinaryPrimitives.WriteInt32LittleEndian(datagram, p);
                    BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(4), i);
                    peers[p].Socket.SendTo(datagram, peers[p].Target);
                }
            }

            int total = PerPeer * peers.Count;
            var receiver = new RecordingReceiver(total);
            using var socket = DatagramSocket.Create(receiving, batchIO);
            Assert.Equal(batchIO && LinuxSocketCalls.IsSupported, socket.BatchReceive);
            socket.StartReceiving(receiver);
            await receiver.Done.WaitAsync(_ct);

            Assert.Empty(receiver.Errors);
            Assert.Equal(total, receiver.Datagrams.Count);
            var next = new int[peers.Count];
            foreach ((byte[] data, IPEndPoint source) in receiver.Datagrams)
            {
                int p = BinaryPrimitives.ReadInt32LittleEndian(data);
                int i = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(4));
                Assert.Equal(next[p]++, i);
                Assert.Equal(8 + ((i * 37) + (p * 11)) % 1400, data.Length);
                Assert.Equal(Plain((IPEndPoint)peers[p].Socket.LocalEndPoint!), source);
            }

            if (socket.BatchReceive)
            {
                // 32 per call at most, and everything was queued: far fewer calls than datagrams.
                Assert.InRange(socket.ReceiveCalls, (total + DatagramSocket.DefaultReceiveBatchSize - 1) / DatagramSocket.DefaultReceiveBatchSize, total / 4);
            }
            else
            {
                Assert.Equal(total, socket.ReceiveCalls);
            }
        }
        finally
        {
            foreach ((Socket peer, _) in peers)
            {
                peer.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Truncated_datagram_in_a_batch_is_counted_and_the_loop_goes_on(bool batchIO)
    {
        using Socket receiving = Bound(IPAddress.Loopback);
        using Socket peer = Bound(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, Port(receiving));
        peer.SendTo(new byte[] { 1, 1, 1 }, target);
        peer.SendTo(new byte[KcpSessionOptions.MaxDatagramSize + 500], target);
        peer.SendTo(new byte[] { 3, 3 }, target);

        var receiver = new RecordingReceiver(3);
        using var socket = DatagramSocket.Create(receiving, batchIO);
        socket.StartReceiving(receiver);
        await receiver.Done.WaitAsync(_ct);

        Assert.Equal([SocketError.MessageSize], receiver.Errors);
        Assert.Equal(2, receiver.Datagrams.Count);
        Assert.Equal(new byte[] { 1, 1, 1 }, receiver.Datagrams[0].Data);
        Assert.Equal(new byte[] { 3, 3 }, receiver.Datagrams[1].Data);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Dispose_ends_a_receive_loop_blocked_in_the_kernel(bool batchIO)
    {
        var receiver = new RecordingReceiver(1);
        var socket = DatagramSocket.Create(Bound(IPAddress.Loopback), batchIO);
        socket.StartReceiving(receiver);
        socket.Dispose();
        await socket.ReceiveLoop.WaitAsync(_ct);
        Assert.Empty(receiver.Datagrams);
        Assert.Empty(receiver.Errors);
    }

    /// <summary>Sends each sealed batch through a real <see cref="DatagramSocket"/> and counts as the session does.</summary>
    private sealed class SocketSink(DatagramSocket socket, SocketAddress destination) : IDatagramSink
    {
        public int Batches { get; private set; }

        public long Sent { get; private set; }

        public long Bytes { get; private set; }

        public void Send(ReadOnlySpan<byte> datagram) => throw new InvalidOperationException("batched pipeline sends batches");

        public void SendBatch(DatagramBatch batch)
        {
            Batches++;
            Sent += socket.SendBatch(batch, 0, batch.Count, destination, out long bytes, out SocketError error);
            Bytes += bytes;
            Assert.Equal(SocketError.Success, error);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Send_batch_keeps_kcp_order_with_fec_parity_across_full_batches(bool batchIO)
    {
        const int DataShards = 3;
        const int ParityShards = 2;
        const int Datagrams = 12; // 4 groups: 12 data + 8 parity = 20 datagrams, batches of 7
        using Socket peer = Bound(IPAddress.Loopback);
        peer.ReceiveTimeout = (int)TransportTestSupport.Timeout.TotalMilliseconds;
        using var socket = DatagramSocket.Create(Bound(IPAddress.Loopback), batchIO);
        var sink = new SocketSink(socket, peer.LocalEndPoint!.Serialize());
        PacketProtection protection = PacketProtection.Create("aes", PacketProtection.DeriveKey("k"), WireGeneration.Debian);
        var options = new KcpSessionOptions { DataShards = DataShards, ParityShards = ParityShards };
        var pipeline = new PacketPipeline(protection, options, new SnmpCounters(), sink, new DatagramBatch(7));

        // KCP reuses one output buffer: the pipeline has to copy before the next output overwrites it.
        var output = new byte[1500];
        var expectedLengths = new List<int>();
        for (int i = 0; i < Datagrams; i++)
        {
            int length = pipeline.ReservedSize + 24 + (i * 50);
            output.AsSpan().Clear();
            BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(pipeline.ReservedSize), i);
            pipeline.Output(output, length);
            expectedLengths.Add(length);
        }

        Assert.Equal(20 - 14, pipeline.PendingCount); // two full batches already went
        pipeline.SendPending();
        Assert.Equal(0, pipeline.PendingCount);
        Assert.Equal(3, sink.Batches);
        Assert.Equal(20, sink.Sent);

        PacketProtection opener = PacketProtection.Create("aes", PacketProtection.DeriveKey("k"), WireGeneration.Debian);
        var buffer = new byte[2048];
        long bytes = 0;
        int data = 0;
        for (int n = 0; n < 20; n++)
        {
            int received = peer.Receive(buffer);
            bytes += received;
            Assert.True(opener.TryOpen(buffer.AsSpan(0, received), out Range range));
            Span<byte> payload = buffer.AsSpan(0, received)[range];
            uint seqid = BinaryPrimitives.ReadUInt32LittleEndian(payload);
            ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
            Assert.Equal((uint)n, seqid);
            bool isParity = n % (DataShards + ParityShards) >= DataShards;
            Assert.Equal(isParity ? PacketPipeline.FecParityFlag : PacketPipeline.FecDataFlag, flag);
            if (!isParity)
            {
                Assert.Equal(data, BinaryPrimitives.ReadInt32LittleEndian(payload[PacketPipeline.FecHeaderSize..]));
                Assert.Equal(expectedLengths[data] - protection.HeaderSize, payload.Length);
                data++;
            }
        }

        Assert.Equal(Datagrams, data);
        Assert.Equal(bytes, sink.Bytes);
    }

    [Fact]
    public void Send_batch_to_a_closed_socket_sends_nothing_and_says_why()
    {
        var socket = DatagramSocket.Create(Bound(IPAddress.Loopback));
        var batch = new DatagramBatch(4);
        batch.Commit(100);
        batch.Commit(200);
        socket.Dispose();

        int sent = socket.SendBatch(batch, 0, 2, new IPEndPoint(IPAddress.Loopback, 9).Serialize(), out long bytes,
            out SocketError error);

        Assert.Equal(0, sent);
        Assert.Equal(0, bytes);
        Assert.NotEqual(SocketError.Success, error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sessions_transfer_with_fec_over_either_path_and_count_every_datagram(bool batchIO)
    {
        KcpSessionOptions options = Options(dataShards: 4, parityShards: 2) with { BatchIO = batchIO };
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        await using KcpSession client = await KcpSession.ConnectAsync(LoopbackPort(listener.LocalEndPoint), options, _ct);
        byte[] data = RandomBytes(300_000, seed: 7);
        Task write = client.WriteAsync(data, _ct).AsTask();
        KcpSession server = await listener.AcceptAsync(_ct);
        var echo = new byte[data.Length];
        await ReadExactlyAsync(server, echo, _ct);
        await write;
        Assert.Equal(data, echo);

        // Every datagram the client sent was counted once, with its wire bytes; loopback lost none of them
        // (except possibly the tail still in flight, so compare what the server counted against the client).
        Assert.True(client.Counters.OutPkts >= 300_000 / 1350);
        Assert.True(server.Counters.InPkts <= client.Counters.OutPkts);
        Assert.True(client.Counters.OutBytes > data.Length);
        server.Dispose();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(4, 2)]
    public async Task Sessions_transfer_both_ways_under_bbr(int dataShards, int parityShards)
    {
        // --cc bbr on both ends: paced sending driven by the scheduler and the receive path, windows as caps.
        KcpSessionOptions options = Options(dataShards, parityShards) with
        {
            CongestionControl = Kcptun.Kcp.Congestion.CongestionControl.Bbr,
            SendWindow = 1024,
            ReceiveWindow = 1024,
        };
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        await using KcpSession client = await KcpSession.ConnectAsync(LoopbackPort(listener.LocalEndPoint), options, _ct);
        byte[] data = RandomBytes(2_000_000, seed: 11);
        Task write = client.WriteAsync(data, _ct).AsTask();
        KcpSession server = await listener.AcceptAsync(_ct);
        var echo = new byte[data.Length];
        await ReadExactlyAsync(server, echo, _ct);
        await write;
        Assert.Equal(data, echo);

        Task back = server.WriteAsync(data, _ct).AsTask();
        Array.Clear(echo);
        await ReadExactlyAsync(client, echo, _ct);
        await back;
        Assert.Equal(data, echo);
        server.Dispose();
    }
}
