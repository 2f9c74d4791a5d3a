using System.Net;
using System.Net.Sockets;
using Kcptun.Transport;

namespace Kcptun.Tests.Transport.Link;

/// <summary>
/// One address on an <see cref="InMemoryNetwork"/>, as the <see cref="IDatagramTransport"/> a session or listener
/// owns. Sends enter the network at once (a send never fails while open, as UDP); the network's pump delivers
/// incoming datagrams to the receiver on its own thread, one at a time, like a socket's receive loop.
/// </summary>
internal sealed class InMemoryEndpoint : IDatagramTransport
{
    private readonly InMemoryNetwork _network;
    private readonly Lock _deliveryGate = new();
    private readonly TaskCompletionSource _receiveLoop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDatagramReceiver? _receiver;
    private int _disposed;

    public InMemoryEndpoint(InMemoryNetwork network, IPEndPoint endPoint)
    {
        _network = network;
        EndPoint = endPoint;
        Address = endPoint.Serialize();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>This endpoint's address, as senders name it and receivers see it.</summary>
    public SocketAddress Address { get; }

    public EndPoint LocalEndPoint => EndPoint;

    public Task ReceiveLoop => _receiver is null ? Task.CompletedTask : _receiveLoop.Task;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination, out SocketError error)
    {
        if (IsDisposed)
        {
            error = SocketError.OperationAborted;
            return false;
        }

        _network.Submit(this, datagram, destination);
        error = SocketError.Success;
        return true;
    }

    public int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes, out SocketError error)
    {
        return IDatagramTransport.SendEach(this, batch, start, count, destination, out bytes, out error);
    }

    public void StartReceiving(IDatagramReceiver receiver)
    {
        if (Interlocked.CompareExchange(ref _receiver, receiver, null) is not null)
        {
            throw new InvalidOperationException("Already receiving.");
        }
    }

    /// <summary>The pump's delivery of one datagram; a receiver fault is reported to it, as the socket loop does.</summary>
    internal void Deliver(Span<byte> datagram, SocketAddress source)
    {
        lock (_deliveryGate)
        {
            if (IsDisposed || _receiver is not { } receiver)
            {
                return;
            }

            try
            {
                receiver.OnDatagram(datagram, source);
            }
            catch (Exception e)
            {
                receiver.OnDatagramFault(e);
            }
        }
    }

    /// <summary>Leaves the network; a delivery under way finishes first, then the receive loop ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _network.Unbind(this);
        lock (_deliveryGate)
        {
        }

        _receiver?.OnReceiveStopped(null);
        _receiveLoop.TrySetResult();
    }
}
