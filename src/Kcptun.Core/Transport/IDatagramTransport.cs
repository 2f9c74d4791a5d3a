using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>
/// What a <see cref="KcpSession"/> and a <see cref="KcpListener"/> move datagrams through: a UDP socket in the programs
/// (<see cref="DatagramSocket"/>, or <see cref="LinuxBatchDatagramSocket"/> on 64-bit Linux), an in-memory lossy link
/// on a fake clock in the tests. Addresses are <see cref="SocketAddress"/> values, so neither side allocates per
/// datagram. Sends may come from several threads at once (each session sends under its own lock); one receive loop
/// delivers every incoming datagram with its source address, in arrival order.
/// </summary>
internal interface IDatagramTransport : IDisposable
{
    /// <summary>The local address (with the real port when bound to port 0).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram; false when it was refused (the datagram is lost, KCP will resend).</summary>
    bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination, out SocketError error);

    /// <summary>
    /// Sends datagrams [<paramref name="start"/>, start + count) of <paramref name="batch"/> in order; a refused one is
    /// lost and the rest still go. Returns how many were sent, their bytes in <paramref name="bytes"/>, and the last
    /// refusal in <paramref name="error"/> (Success when none).
    /// </summary>
    int SendBatch(DatagramBatch batch, int start, int count, SocketAddress destination, out long bytes, out SocketError error);

    /// <summary>
    /// <see cref="SendBatch"/> as one <see cref="TrySend"/> per datagram: the portable path, and what a transport
    /// without a batch system call uses.
    /// </summary>
    static int SendEach(IDatagramTransport transport, DatagramBatch batch, int start, int count, SocketAddress destination,
        out long bytes, out SocketError error)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(batch);
        bytes = 0;
        error = SocketError.Success;
        int sent = 0;
        for (int i = start; i < start + count; i++)
        {
            Span<byte> datagram = batch.Datagram(i);
            if (transport.TrySend(datagram, destination, out SocketError refused))
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

    /// <summary>Starts the one receive loop, which feeds <paramref name="receiver"/> until the transport is disposed.</summary>
    void StartReceiving(IDatagramReceiver receiver);

    /// <summary>The receive loop, once started; it ends after <see cref="IDisposable.Dispose"/> (owners await it).</summary>
    Task ReceiveLoop { get; }
}
