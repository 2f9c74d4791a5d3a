using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>
/// One UDP socket as an <see cref="IDatagramTransport"/>, the portable path: a send per datagram and an owned receive
/// loop that reads with the <see cref="SocketAddress"/> overload into one pinned buffer; socket errors are classified
/// here, in one place. Neither direction allocates per datagram. <see cref="Create"/> picks
/// <see cref="LinuxBatchDatagramSocket"/> (recvmmsg/sendmmsg) where the platform has it; that type falls back to this
/// path when the kernel answers ENOSYS.
/// </summary>
internal class DatagramSocket : IDatagramTransport
{
    /// <summary>Datagrams one recvmmsg call may return (kcp-go reads 16 at a time).</summary>
    public const int DefaultReceiveBatchSize = 32;

    private Task? _receiveLoop;
    private int _disposed;
    private long _receiveCalls;

    /// <param name="socket">A bound UDP socket, owned from now on.</param>
    public DatagramSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Socket = socket;
        LocalEndPoint = socket.LocalEndPoint!;
    }

    /// <summary>
    /// The socket type for <paramref name="socket"/>: <see cref="LinuxBatchDatagramSocket"/> when
    /// <paramref name="batchIO"/> and the platform has recvmmsg/sendmmsg (64-bit Linux), else the portable one.
    /// </summary>
    /// <param name="socket">A bound UDP socket, owned from now on.</param>
    /// <param name="batchIO">False forces the portable path (tests of that path, and measurements).</param>
    /// <param name="receiveBatchSize">Datagrams per recvmmsg call.</param>
    public static DatagramSocket Create(Socket socket, bool batchIO = true, int receiveBatchSize = DefaultReceiveBatchSize) =>
        batchIO && LinuxSocketCalls.IsSupported
            ? new LinuxBatchDatagramSocket(socket, receiveBatchSize)
            : new DatagramSocket(socket);

    public EndPoint LocalEndPoint { get; }

    public AddressFamily AddressFamily => Socket.AddressFamily;

    /// <summary>True while sends go out with sendmmsg (false on the portable path).</summary>
    public virtual bool BatchSend => false;

    /// <summary>True while the receive loop uses recvmmsg (false on the portable path).</summary>
    public virtual bool BatchReceive => false;

    /// <summary>Receive system calls that returned data (tests and diagnostics; written by the receive loop only).</summary>
    public long ReceiveCalls => Volatile.Read(ref _receiveCalls);

    /// <summary>The receive loop, once started (awaited on dispose by the owner).</summary>
    public Task ReceiveLoop => _receiveLoop ?? Task.CompletedTask;

    protected Socket Socket { get; }

    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public void StartReceiving(IDatagramReceiver receiver)
    {
        // A dedicated thread in a blocking receive, as kcp-go's reader goroutine: an async receive per datagram costs
        // an epoll wake-up, a thread-pool hop and a continuation each time, which on a loaded machine delays the
        // receiver's ACKs past the sender's RTO (spurious retransmissions, half the download rate).
        _receiveLoop = Task.Factory.StartNew(() => receiver.OnReceiveStopped(Receive(receiver)), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Sends one datagram; false when the OS refused it (the datagram is lost, KCP will resend).</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination, out SocketError error)
    {
        try
        {
            Socket.SendTo(datagram, SocketFlags.None, destination);
            error = SocketError.Success;
            return true;
        }
        catch (Exception e) when (SendErrors.TryClassify(e, out error))
        {
            return false;
        }
    }

    /// <summary>
    /// Sends datagrams [<paramref name="start"/>, start + count) of <paramref name="batch"/> in order, one send each here
    /// (one sendmmsg on <see cref="LinuxBatchDatagramSocket"/>). A datagram the OS refuses is lost (KCP resends it)
    /// and the rest still go. Returns how many were sent, their bytes in <paramref name="bytes"/>, and the last
    /// refusal in <paramref name="error"/> (Success when none).
    /// </summary>
    public virtual int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes,
        out SocketError error)
    {
        return IDatagramTransport.SendEach(this, batch, start, count, destination, out bytes, out error);
    }

    /// <summary>The receive loop's body: returns the fatal error, or null once the socket was closed.</summary>
    protected virtual Exception? Receive(IDatagramReceiver receiver) => ReceiveBlocking(receiver);

    /// <summary>The portable loop: one blocking ReceiveFrom per datagram; returns the fatal error (null: closed).</summary>
    protected SocketException? ReceiveBlocking(IDatagramReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);

        // One byte more than any datagram of ours: a datagram that fills it was longer, i.e. cut (the portable call
        // does not report truncation everywhere), and is counted as recvmmsg's MSG_TRUNC is.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(KcpSessionOptions.MaxDatagramSize + 1, pinned: true);
        var source = new SocketAddress(Socket.AddressFamily);
        while (!IsDisposed)
        {
            int received;
            try
            {
                received = Socket.ReceiveFrom(buffer, SocketFlags.None, source);
            }
            catch (SocketException e) when (IsPerDatagram(e.SocketErrorCode))
            {
                receiver.OnReceiveError(e.SocketErrorCode);
                continue;
            }
            catch (SocketException e) when (IsDisposed || e.SocketErrorCode == SocketError.OperationAborted)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                return e;
            }

            CountReceiveCall();
            if (received > KcpSessionOptions.MaxDatagramSize)
            {
                receiver.OnReceiveError(SocketError.MessageSize);
                continue;
            }

            Deliver(receiver, buffer.AsSpan(0, received), source);
        }

        return null;
    }

    /// <summary>Counts one receive system call that returned data (the receive loop's thread only).</summary>
    protected void CountReceiveCall() => Volatile.Write(ref _receiveCalls, _receiveCalls + 1);

    /// <summary>Hands one datagram to the receiver; whatever it throws is reported, never ends the loop.</summary>
    protected static void Deliver(IDatagramReceiver receiver, Span<byte> datagram, SocketAddress source)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        try
        {
            receiver.OnDatagram(datagram, source);
        }
#pragma warning disable CA1031 // The receive loop must survive anything one datagram can cause.
        catch (Exception e)
#pragma warning restore CA1031
        {
            receiver.OnDatagramFault(e);
        }
    }

    /// <summary>Errors that concern one datagram (or an earlier send), after which the socket still works.</summary>
    protected static bool IsPerDatagram(SocketError error) => error is SocketError.MessageSize or SocketError.ConnectionReset
        or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
        or SocketError.TimedOut or SocketError.NoBufferSpaceAvailable;

    /// <summary>Closes the socket, which ends the receive loop.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Marks the socket closed (the receive loop checks that), then <see cref="WakeReceiver"/>, then closes it.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        WakeReceiver();
        Socket.Dispose();
    }

    /// <summary>Wakes a receive loop blocked in a call the runtime cannot cancel (after the socket was marked closed).</summary>
    protected virtual void WakeReceiver()
    {
    }
}
