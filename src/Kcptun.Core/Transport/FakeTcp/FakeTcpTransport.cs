using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// kcptun's <c>--tcp</c> (Go: xtaci/tcpraw) as an <see cref="IDatagramTransport"/>: each datagram travels as the
/// payload of one PSH|ACK segment sent on a raw socket, continuing the sequence space of a real kernel TCP connection
/// whose own segments a firewall rule drops (they leave with TTL 1). Incoming segments are captured on raw sockets,
/// filtered to our port; a PSH segment of a peer that has a kernel connection delivers its payload as a datagram.
/// The client side is <see cref="FakeTcpClientTransport"/>, the server side <see cref="FakeTcpServerTransport"/>.
/// </summary>
internal abstract class FakeTcpTransport : IDatagramTransport
{
    /// <summary>The largest captured packet we read (our segments carry at most a 1500-byte datagram).</summary>
    private const int CaptureBufferSize = 4096;

    private readonly List<Task<Exception?>> _captures = [];
    private readonly Lock _deliverGate = new();
    private IDatagramReceiver? _receiver;
    private Task? _receiveLoop;
    private int _disposed;

    protected FakeTcpTransport(Action<string>? log) => Log = log;

    public abstract EndPoint LocalEndPoint { get; }

    /// <summary>The receive loops, once started: they end after <see cref="Dispose()"/>.</summary>
    public Task ReceiveLoop => _receiveLoop ?? Task.CompletedTask;

    /// <summary>Guards every <see cref="FakeTcpFlow"/> of this transport.</summary>
    protected Lock FlowsGate { get; } = new();

    protected Action<string>? Log { get; }

    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Milliseconds of a monotonic clock, for flow expiry.</summary>
    protected static long Now => Environment.TickCount64;

    /// <summary>
    /// Starts delivering to <paramref name="receiver"/>. Capture began earlier (when the transport was made, so the
    /// handshake's segments set up the sequence state); payloads captured before this call are dropped.
    /// </summary>
    public void StartReceiving(IDatagramReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        Volatile.Write(ref _receiver, receiver);
        Task<Exception?>[] captures;
        lock (_captures)
        {
            captures = [.. _captures];
        }

        _receiveLoop = Task.WhenAll(captures).ContinueWith(
            done => receiver.OnReceiveStopped(done.Result.FirstOrDefault(e => e is not null)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination, out SocketError error)
    {
        error = SocketError.Success;
        FakeTcpFlow? flow = FindSendFlow(destination);
        if (flow?.LocalIp is not { } localIp || flow.Connection is null)
        {
            return true; // no connection to this peer: lost without notice, as tcpraw; KCP resends
        }

        Span<byte> segment = stackalloc byte[TcpSegment.HeaderSize + datagram.Length];
        uint sequence;
        uint acknowledgment;
        lock (FlowsGate)
        {
            sequence = flow.Advance(datagram.Length);
            acknowledgment = flow.Acknowledgment;
        }

        // tcpraw 1.2.25: a random window of at least 32768 (1.2.32 copies a Linux fingerprint's window instead).
        ushort window = (ushort)(Random.Shared.Next(0x10000) | 0x8000);
        TcpSegment.WriteData(segment, LocalPort(flow), flow.PeerPort, sequence, acknowledgment, window, datagram,
            localIp, flow.PeerIp);
        try
        {
            SendSegment(flow, segment);
            return true;
        }
        catch (Exception e) when (SendErrors.TryClassify(e, out error))
        {
            return false;
        }
    }

    public int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes, out SocketError error) =>
        IDatagramTransport.SendEach(this, batch, start, count, destination, out bytes, out error);

    /// <summary>The flow a datagram to <paramref name="destination"/> goes on, or null.</summary>
    protected abstract FakeTcpFlow? FindSendFlow(SocketAddress destination);

    /// <summary>Our TCP port on <paramref name="flow"/>.</summary>
    protected abstract ushort LocalPort(FakeTcpFlow flow);

    /// <summary>Puts one finished segment on the wire towards <paramref name="flow"/>'s peer.</summary>
    protected abstract void SendSegment(FakeTcpFlow flow, ReadOnlySpan<byte> segment);

    /// <summary>
    /// Under <see cref="FlowsGate"/>: the flow of a captured segment from <paramref name="peer"/> (a reused key),
    /// creating it when the side tracks unknown peers; null to ignore the segment.
    /// </summary>
    protected abstract FakeTcpFlow? CaptureFlowLocked(SocketAddress peer, AddressFamily family, in TcpSegment segment, long now);

    /// <summary>Starts a capture loop on <paramref name="socket"/> for segments to <paramref name="port"/>.</summary>
    protected void StartCapture(Socket socket, int port)
    {
        var capture = Task.Factory.StartNew(() => (Exception?)Capture(socket, (ushort)port), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        lock (_captures)
        {
            _captures.Add(capture);
        }
    }

    private SocketException? Capture(Socket socket, ushort port)
    {
        AddressFamily family = socket.AddressFamily;
        byte[] buffer = GC.AllocateUninitializedArray<byte>(CaptureBufferSize, pinned: true);
        var source = new SocketAddress(family);
        SocketAddress key = new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0).Serialize();
        (int offset, int length) ip = family == AddressFamily.InterNetwork ? (4, 4) : (8, 16);
        while (!IsDisposed)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(buffer, SocketFlags.None, source);
            }
            catch (SocketException) when (IsDisposed)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.Interrupted or SocketError.NoBufferSpaceAvailable
                or SocketError.MessageSize)
            {
                continue;
            }
            catch (SocketException e)
            {
                return e;
            }

            if (!TcpSegment.TryRead(buffer.AsSpan(0, received), family, out TcpSegment segment) || segment.DestinationPort != port)
            {
                continue;
            }

            source.Buffer.Span.Slice(ip.offset, ip.length).CopyTo(key.Buffer.Span.Slice(ip.offset, ip.length));
            BinaryPrimitives.WriteUInt16BigEndian(key.Buffer.Span[2..], segment.SourcePort);
            SocketAddress? deliverFrom = null;
            lock (FlowsGate)
            {
                FakeTcpFlow? flow = CaptureFlowLocked(key, family, segment, Now);
                if (flow is not null)
                {
                    flow.OnSegment(segment, Now);
                    if ((segment.Flags & TcpFlags.Push) != 0 && segment.PayloadLength > 0)
                    {
                        if (flow.Connection is not null)
                        {
                            deliverFrom = flow.Address;
                        }
                        else
                        {
                            HoldLocked(flow, buffer.AsSpan(segment.PayloadOffset, segment.PayloadLength));
                        }
                    }
                }
            }

            if (deliverFrom is not null && Volatile.Read(ref _receiver) is { } receiver)
            {
                Deliver(receiver, buffer.AsSpan(segment.PayloadOffset, segment.PayloadLength), deliverFrom);
            }
        }

        return null;
    }

    /// <summary>
    /// Under <see cref="FlowsGate"/>: a payload of a peer whose kernel connection is not accepted yet. tcpraw drops
    /// it; the server keeps a few, because the client's first flight arrives while the accept is still on its way.
    /// </summary>
    protected virtual void HoldLocked(FakeTcpFlow flow, ReadOnlySpan<byte> payload)
    {
    }

    /// <summary>Delivers payloads held for <paramref name="source"/> (dropped when nobody receives yet).</summary>
    protected void DeliverHeld(SocketAddress source, List<byte[]> held)
    {
        if (Volatile.Read(ref _receiver) is { } receiver)
        {
            foreach (byte[] datagram in held)
            {
                Deliver(receiver, datagram, source);
            }
        }
    }

    private void Deliver(IDatagramReceiver receiver, Span<byte> datagram, SocketAddress source)
    {
        // Capture loops of two families may run at once; receivers expect one loop, so deliveries take turns.
        lock (_deliverGate)
        {
            if (datagram.Length > KcpSessionOptions.MaxDatagramSize)
            {
                receiver.OnReceiveError(SocketError.MessageSize);
                return;
            }

            try
            {
                receiver.OnDatagram(datagram, source);
            }
#pragma warning disable CA1031 // The capture loop must survive anything one datagram can cause.
            catch (Exception e)
#pragma warning restore CA1031
            {
                receiver.OnDatagramFault(e);
            }
        }
    }

    /// <summary>Reads and discards what the kernel connection receives (our peer's payloads, already captured).</summary>
    protected static async Task DrainAsync(Socket connection)
    {
        byte[] sink = new byte[4096];
        try
        {
            while (await connection.ReceiveAsync(sink, SocketFlags.None).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection ended; the flow stays until it expires or the transport closes (as tcpraw).
        }
    }

    /// <summary>Closes a kernel connection with TTL 64 again, so its FIN is not dropped (as tcpraw).</summary>
    protected static void CloseConnection(Socket connection)
    {
        try
        {
            RawTcpSockets.SetTimeToLive(connection, 64);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closing anyway.
        }

        connection.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
    }

    /// <summary>Closes the sockets (which ends the capture loops) and removes the firewall rules.</summary>
    protected abstract void Close();
}
