using System.Net;
using System.Net.Sockets;

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
/// One UDP socket: a send path and an owned receive loop. The loop reads with the <see cref="SocketAddress"/>
/// overload into one pinned buffer, so receiving allocates nothing per datagram; it ends when the socket is closed.
/// Socket errors are classified here, in one place.
/// </summary>
internal sealed class DatagramSocket : IDisposable
{
    private readonly Socket _socket;
    private Task? _receiveLoop;
    private int _disposed;

    public DatagramSocket(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = socket.LocalEndPoint!;
    }

    public EndPoint LocalEndPoint { get; }

    public AddressFamily AddressFamily => _socket.AddressFamily;

    /// <summary>The receive loop, once started (awaited on dispose by the owner).</summary>
    public Task ReceiveLoop => _receiveLoop ?? Task.CompletedTask;

    public void StartReceiving(IDatagramReceiver receiver)
    {
        // A dedicated thread in a blocking receive, as kcp-go's reader goroutine: an async receive per datagram costs
        // an epoll wake-up, a thread-pool hop and a continuation each time, which on a loaded machine delays the
        // receiver's ACKs past the sender's RTO (spurious retransmissions, half the download rate).
        _receiveLoop = Task.Factory.StartNew(() => ReceiveBlocking(receiver), CancellationToken.None,
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

    private void ReceiveBlocking(IDatagramReceiver receiver)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(KcpSessionOptions.MaxDatagramSize, pinned: true);
        var source = new SocketAddress(_socket.AddressFamily);
        Exception? fatal = null;
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
                fatal = e;
                break;
            }

            try
            {
                receiver.OnDatagram(buffer.AsSpan(0, received), source);
            }
#pragma warning disable CA1031 // The receive loop must survive anything one datagram can cause.
            catch (Exception e)
#pragma warning restore CA1031
            {
                receiver.OnDatagramFault(e);
            }
        }

        receiver.OnReceiveStopped(fatal);
    }

    /// <summary>Errors that concern one datagram (or an earlier send), after which the socket still works.</summary>
    private static bool IsPerDatagram(SocketError error) => error is SocketError.MessageSize or SocketError.ConnectionReset
        or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
        or SocketError.TimedOut or SocketError.NoBufferSpaceAvailable;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }
}
