using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Kcptun.Transport.LinuxSocketCalls;

namespace Kcptun.Transport;

/// <summary>Whoever consumes the datagrams of a <see cref="DatagramSocket"/> receive loop.</summary>
internal interface IDatagramReceiver
{
    /// <summary>One datagram; <paramref name="datagram"/> and <paramref name="source"/> are reused after the call.</summary>
    void OnDatagram(Span<byte> datagram, SocketAddress source);

    /// <summary>A datagram the OS reported but that could not be read (truncated, ICMP error): count and go on.</summary>
    void OnReceiveError(SocketError error);

    /// <summary>Handling a datagram threw: a bug, never hostile input; counted and logged, the loop goes on.</summary>
    void OnDatagramFault(Exception fault);

    /// <summary>The loop ended for good (socket closed or a fatal error, which is then non-null).</summary>
    void OnReceiveStopped(Exception? error);
}

/// <summary>
/// One UDP socket: a send path and an owned receive loop; socket errors are classified here, in one place. On 64-bit
/// Linux both directions move batches with one system call (recvmmsg: up to <see cref="DefaultReceiveBatchSize"/> datagrams
/// per wake-up; sendmmsg: a whole <see cref="DatagramBatch"/>), as kcp-go does; elsewhere, when batching is turned
/// off, or once the kernel answers ENOSYS, the portable path reads with the <see cref="SocketAddress"/> overload into
/// one pinned buffer and sends one datagram per call. Neither path allocates per datagram.
/// </summary>
internal sealed class DatagramSocket : IDisposable
{
    /// <summary>Datagrams one recvmmsg call may return (kcp-go reads 16 at a time).</summary>
    public const int DefaultReceiveBatchSize = 32;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly int _receiveBatchSize;
    private bool _batchReceive;
    private volatile bool _batchSend;
    private Task? _receiveLoop;
    private int _disposed;
    private long _receiveCalls;

    /// <param name="socket">A bound UDP socket, owned from now on.</param>
    /// <param name="batchIO">Use recvmmsg/sendmmsg where the platform has them (false: always the portable path).</param>
    /// <param name="receiveBatchSize">Datagrams per recvmmsg call.</param>
    public DatagramSocket(Socket socket, bool batchIO = true, int receiveBatchSize = DefaultReceiveBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(receiveBatchSize, 1);
        _socket = socket;
        _handle = socket.SafeHandle;
        LocalEndPoint = socket.LocalEndPoint!;
        _receiveBatchSize = receiveBatchSize;
        _batchReceive = batchIO && IsSupported;
        _batchSend = _batchReceive;
    }

    public EndPoint LocalEndPoint { get; }

    public AddressFamily AddressFamily => _socket.AddressFamily;

    /// <summary>True while sends go out with sendmmsg (false on the portable path).</summary>
    public bool BatchSend => _batchSend;

    /// <summary>True while the receive loop uses recvmmsg (false on the portable path).</summary>
    public bool BatchReceive => Volatile.Read(ref _batchReceive);

    /// <summary>Receive system calls that returned data (tests and diagnostics; written by the receive loop only).</summary>
    public long ReceiveCalls => Volatile.Read(ref _receiveCalls);

    /// <summary>The receive loop, once started (awaited on dispose by the owner).</summary>
    public Task ReceiveLoop => _receiveLoop ?? Task.CompletedTask;

    public void StartReceiving(IDatagramReceiver receiver)
    {
        // A dedicated thread in a blocking receive, as kcp-go's reader goroutine: an async receive per datagram costs
        // an epoll wake-up, a thread-pool hop and a continuation each time, which on a loaded machine delays the
        // receiver's ACKs past the sender's RTO (spurious retransmissions, half the download rate).
        _receiveLoop = Task.Factory.StartNew(() => ReceiveLoopBody(receiver), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Sends one datagram; false when the OS refused it (the datagram is lost, KCP will resend).</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination, out SocketError error)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, destination);
            error = SocketError.Success;
            return true;
        }
        catch (SocketException e)
        {
            error = e.SocketErrorCode;
            return false;
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
            return false;
        }
    }

    /// <summary>
    /// Sends datagrams [<paramref name="start"/>, start + count) of <paramref name="batch"/> in order: one sendmmsg
    /// (more if the kernel takes part of the batch) or one send per datagram on the portable path. A datagram the
    /// OS refuses is lost (KCP resends it) and the rest still go. Returns how many were sent, their bytes in
    /// <paramref name="bytes"/>, and the last refusal in <paramref name="error"/> (Success when none).
    /// </summary>
    public int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes,
        out SocketError error)
    {
        if (!_batchSend)
        {
            return SendEach(batch, start, count, destination, out bytes, out error);
        }

        bytes = 0;
        error = SocketError.Success;
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
            return 0;
        }

        int sent = 0;
        try
        {
            unsafe
            {
                int descriptor = (int)_handle.DangerousGetHandle();
                batch.PrepareSend(start, count, destination);
                int next = start;
                int end = start + count;
                bool waited = false;
                while (next < end)
                {
                    int accepted = SendMessages(descriptor, batch.Headers + next, (uint)(end - next), 0);
                    if (accepted > 0)
                    {
                        sent += accepted;
                        bytes += batch.TotalLength(next, accepted);
                        next += accepted;
                        waited = false;
                        continue;
                    }

                    int errno = accepted < 0 ? Marshal.GetLastPInvokeError() : WouldBlock;
                    if (errno == Interrupted)
                    {
                        continue;
                    }

                    if (errno == WouldBlock && !waited)
                    {
                        // Only a non-blocking descriptor says this: wait once for room, as the blocking send would.
                        WaitFor(descriptor, PollOut, 1000);
                        waited = true;
                        continue;
                    }

                    if (errno == NotImplemented)
                    {
                        _batchSend = false;
                        sent += SendEach(batch, next, end - next, destination, out long rest, out error);
                        bytes += rest;
                        return sent;
                    }

                    // This datagram is lost, as a refused SendTo would lose it; the ones after it still go.
                    error = ToSocketError(errno);
                    next++;
                    waited = false;
                }
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }

        return sent;
    }

    private int SendEach(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes,
        out SocketError error)
    {
        bytes = 0;
        error = SocketError.Success;
        int sent = 0;
        for (int i = start; i < start + count; i++)
        {
            Span<byte> datagram = batch.Datagram(i);
            if (TrySend(datagram, destination, out SocketError refused))
            {
                sent++;
                bytes += datagram.Length;
            }
            else
            {
                error = refused;
            }
        }

        return sent;
    }

    private void ReceiveLoopBody(IDatagramReceiver receiver)
    {
        Exception? fatal = Volatile.Read(ref _batchReceive) ? ReceiveBatched(receiver) : null;
        if (!Volatile.Read(ref _batchReceive))
        {
            // Never batched, or recvmmsg answered ENOSYS (the batched loop then returned without a verdict).
            fatal = ReceiveBlocking(receiver);
        }

        receiver.OnReceiveStopped(fatal);
    }

    /// <summary>The recvmmsg loop; returns the fatal error (null: closed), or null with batching switched off (ENOSYS).</summary>
    private SocketException? ReceiveBatched(IDatagramReceiver receiver)
    {
        var batch = new DatagramBatch(_receiveBatchSize);
        var source = new SocketAddress(_socket.AddressFamily);
        int sourceCapacity = source.Buffer.Length;
        while (Volatile.Read(ref _disposed) == 0)
        {
            int received = ReceiveMany(batch, out int errno);
            if (received < 0)
            {
                if (errno is Interrupted or WouldBlock)
                {
                    continue;
                }

                if (errno == NotImplemented)
                {
                    Volatile.Write(ref _batchReceive, false);
                    return null;
                }

                if (Volatile.Read(ref _disposed) != 0 || errno == BadDescriptor)
                {
                    return null;
                }

                SocketError error = ToSocketError(errno);
                if (IsPerDatagram(error))
                {
                    receiver.OnReceiveError(error);
                    continue;
                }

                return new SocketException((int)error);
            }

            for (int i = 0; i < received; i++)
            {
                // Closing shuts the socket down, which wakes recvmmsg with an empty "datagram": stop at once.
                if (Volatile.Read(ref _disposed) != 0)
                {
                    return null;
                }

                ReadOnlySpan<byte> address = batch.ReceivedAddress(i);
                if ((batch.ReceivedFlags(i) & MessageTruncated) != 0 || address.Length > sourceCapacity)
                {
                    receiver.OnReceiveError(SocketError.MessageSize);
                    continue;
                }

                address.CopyTo(source.Buffer.Span);
                source.Size = address.Length;
                Deliver(receiver, batch.Datagram(i), source);
            }
        }

        return null;
    }

    /// <summary>
    /// One recvmmsg call into <paramref name="batch"/> (blocking for the first datagram; only where
    /// <see cref="BatchReceive"/>); the count, or -1 with the errno. The receive loop's step, open to benchmarks.
    /// </summary>
    internal int ReceiveMany(DatagramBatch batch, out int errno)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            int descriptor = (int)_handle.DangerousGetHandle();
            batch.PrepareReceive(KcpSessionOptions.MaxDatagramSize);
            int received;
            unsafe
            {
                received = ReceiveMessages(descriptor, batch.Headers, (uint)batch.Capacity, MessageWaitForOne, null);
            }

            if (received < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == WouldBlock)
                {
                    // A non-blocking descriptor: wait for data (closing wakes the poll as it wakes recvmmsg).
                    WaitFor(descriptor, PollIn, -1);
                }

                return -1;
            }

            batch.CompleteReceive(received);
            Volatile.Write(ref _receiveCalls, _receiveCalls + 1);
            errno = 0;
            return received;
        }
        catch (ObjectDisposedException)
        {
            errno = BadDescriptor;
            return -1;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>The portable loop: one blocking ReceiveFrom per datagram; returns the fatal error (null: closed).</summary>
    private SocketException? ReceiveBlocking(IDatagramReceiver receiver)
    {
        // One byte more than any datagram of ours: a datagram that fills it was longer, i.e. cut (the portable call
        // does not report truncation everywhere), and is counted as recvmmsg's MSG_TRUNC is.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(KcpSessionOptions.MaxDatagramSize + 1, pinned: true);
        var source = new SocketAddress(_socket.AddressFamily);
        while (Volatile.Read(ref _disposed) == 0)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, source);
            }
            catch (SocketException e) when (IsPerDatagram(e.SocketErrorCode))
            {
                receiver.OnReceiveError(e.SocketErrorCode);
                continue;
            }
            catch (SocketException e) when (Volatile.Read(ref _disposed) != 0 || e.SocketErrorCode == SocketError.OperationAborted)
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

            Volatile.Write(ref _receiveCalls, _receiveCalls + 1);
            if (received > KcpSessionOptions.MaxDatagramSize)
            {
                receiver.OnReceiveError(SocketError.MessageSize);
                continue;
            }

            Deliver(receiver, buffer.AsSpan(0, received), source);
        }

        return null;
    }

    private static void Deliver(IDatagramReceiver receiver, Span<byte> datagram, SocketAddress source)
    {
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
    private static bool IsPerDatagram(SocketError error) => error is SocketError.MessageSize or SocketError.ConnectionReset
        or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
        or SocketError.TimedOut or SocketError.NoBufferSpaceAvailable;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _batchReceive))
        {
            // recvmmsg is a call the runtime does not know of: shutting the socket down wakes it (Linux does this
            // even for an unconnected UDP socket, which still reports ENOTCONN).
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
        }

        _socket.Dispose();
    }
}
