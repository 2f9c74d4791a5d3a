using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Kcptun.Transport.LinuxSocketCalls;

namespace Kcptun.Transport;

/// <summary>
/// The 64-bit Linux path of <see cref="DatagramSocket"/>: both directions move batches with one system call, as kcp-go
/// does (recvmmsg: up to the receive batch size of datagrams per wake-up; sendmmsg: a whole <see cref="DatagramBatch"/>).
/// Once the kernel answers ENOSYS, that direction takes the portable path for good. Only where
/// <see cref="LinuxSocketCalls.IsSupported"/> (use <see cref="DatagramSocket.Create"/>).
/// </summary>
internal sealed class LinuxBatchDatagramSocket : DatagramSocket
{
    private readonly SafeSocketHandle _handle;
    private readonly int _receiveBatchSize;
    private bool _batchReceive = true;
    private volatile bool _batchSend = true;

    /// <param name="socket">A bound UDP socket, owned from now on.</param>
    /// <param name="receiveBatchSize">Datagrams per recvmmsg call.</param>
    public LinuxBatchDatagramSocket(Socket socket, int receiveBatchSize = DefaultReceiveBatchSize)
        : base(socket)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("recvmmsg/sendmmsg are only called on 64-bit Linux.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(receiveBatchSize, 1);
        _handle = socket.SafeHandle;
        _receiveBatchSize = receiveBatchSize;
    }

    /// <inheritdoc/>
    public override bool BatchSend => _batchSend;

    /// <inheritdoc/>
    public override bool BatchReceive => Volatile.Read(ref _batchReceive);

    /// <summary>
    /// Sends datagrams [<paramref name="start"/>, start + count) of <paramref name="batch"/> in order with one sendmmsg
    /// (more if the kernel takes part of the batch). A datagram the OS refuses is lost (KCP resends it) and the rest
    /// still go. Returns how many were sent, their bytes in <paramref name="bytes"/>, and the last refusal in
    /// <paramref name="error"/> (Success when none).
    /// </summary>
    public override int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes,
        out SocketError error)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_batchSend)
        {
            return base.SendBatch(batch, start, count, destination, out bytes, out error);
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
                        sent += base.SendBatch(batch, next, end - next, destination, out long rest, out error);
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

    /// <inheritdoc/>
    protected override Exception? Receive(IDatagramReceiver receiver)
    {
        Exception? fatal = ReceiveBatched(receiver);

        // Batching off means recvmmsg answered ENOSYS (the batched loop then returned without a verdict).
        return BatchReceive ? fatal : ReceiveBlocking(receiver);
    }

    /// <summary>The recvmmsg loop; returns the fatal error (null: closed), or null with batching switched off (ENOSYS).</summary>
    private SocketException? ReceiveBatched(IDatagramReceiver receiver)
    {
        var batch = new DatagramBatch(_receiveBatchSize);
        var source = new SocketAddress(Socket.AddressFamily);
        int sourceCapacity = source.Buffer.Length;
        while (!IsDisposed)
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

                if (IsDisposed || errno == BadDescriptor)
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
                if (IsDisposed)
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
    /// One recvmmsg call into <paramref name="batch"/> (blocking for the first datagram); the count, or -1 with the
    /// errno. The receive loop's step, open to benchmarks.
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
            CountReceiveCall();
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

    /// <summary>
    /// recvmmsg is a call the runtime does not know of: shutting the socket down wakes it (Linux does this even for an
    /// unconnected UDP socket, which still reports ENOTCONN).
    /// </summary>
    protected override void WakeReceiver()
    {
        if (!BatchReceive)
        {
            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
    }
}
