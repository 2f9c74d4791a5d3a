using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Kcptun.Transport;

namespace Kcptun.Tests.Transport.Link;

/// <summary>A hand-driven peer on an <see cref="InMemoryNetwork"/>: sends crafted datagrams, records what it receives.</summary>
internal sealed class RawPeer : IDatagramReceiver
{
    private readonly InMemoryEndpoint _endpoint;

    public RawPeer(InMemoryNetwork network)
    {
        _endpoint = network.Bind();
        _endpoint.StartReceiving(this);
    }

    public IPEndPoint EndPoint => _endpoint.EndPoint;

    /// <summary>What arrived, in order, with the sender.</summary>
    public ConcurrentQueue<(byte[] Data, IPEndPoint Source)> Received { get; } = new();

    public void Send(byte[] datagram, EndPoint to) => _endpoint.TrySend(datagram, to.Serialize(), out _);

    void IDatagramReceiver.OnDatagram(Span<byte> datagram, SocketAddress source) =>
        Received.Enqueue((datagram.ToArray(), SocketAddresses.ToEndPoint(source)));

    void IDatagramReceiver.OnReceiveError(SocketError error)
    {
    }

    void IDatagramReceiver.OnDatagramFault(Exception fault) => throw new InvalidOperationException("raw peer fault", fault);

    void IDatagramReceiver.OnReceiveStopped(Exception? error)
    {
    }

    /// <summary>Leaves the network.</summary>
    public void Close() => _endpoint.Dispose();
}
