using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>Whoever consumes the datagrams of an <see cref="IDatagramTransport"/> receive loop.</summary>
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
