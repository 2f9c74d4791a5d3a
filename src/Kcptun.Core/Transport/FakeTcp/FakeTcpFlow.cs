using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// The sequence state of one fake-TCP peer (tcpraw's tcpFlow), fed with the segments captured from that peer.
/// Our segments continue the kernel connection's sequence space as tcpraw does: our sequence number is the last
/// acknowledgment the peer sent, advanced by each payload we send; our acknowledgment is the peer's sequence number
/// advanced by every in-order segment that consumes sequence space (SYN and FIN count one, as in tcpraw 1.2.32; a
/// segment that is not in order leaves it, so the peer falls back to what we acknowledged, like a retransmission).
/// Not thread-safe: the owner locks it.
/// </summary>
internal sealed class FakeTcpFlow
{
    /// <param name="peer">The peer's IP address and TCP port.</param>
    /// <param name="now">When the flow was first seen (milliseconds, any monotonic clock).</param>
    public FakeTcpFlow(IPEndPoint peer, long now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        Address = peer.Serialize();
        RawDestination = new IPEndPoint(peer.Address, 0).Serialize();
        PeerPort = (ushort)peer.Port;
        PeerIp = peer.Address.GetAddressBytes();
        LastSeen = now;
    }

    /// <summary>The peer's address (IP and TCP port): the source address sessions see, and their send destination.</summary>
    public SocketAddress Address { get; }

    /// <summary>The peer's IP address with port 0, as a raw socket's sendto wants it.</summary>
    public SocketAddress RawDestination { get; }

    /// <summary>The peer's TCP port.</summary>
    public ushort PeerPort { get; }

    /// <summary>The peer's IP address bytes (4 or 16), for the checksum.</summary>
    public byte[] PeerIp { get; }

    /// <summary>The sequence number of our next segment.</summary>
    public uint Sequence { get; private set; }

    /// <summary>The acknowledgment number our segments carry.</summary>
    public uint Acknowledgment { get; private set; }

    /// <summary>When a segment of this peer was last captured.</summary>
    public long LastSeen { get; private set; }

    /// <summary>The kernel connection this flow rides on; null for an orphan, whose payloads are not delivered.</summary>
    public Socket? Connection { get; set; }

    /// <summary>Our address on that connection (the source of our segments); null until known.</summary>
    public IPAddress? LocalAddress { get; set; }

    /// <summary>The bytes of <see cref="LocalAddress"/>, for the checksum.</summary>
    public byte[]? LocalIp { get; set; }

    /// <summary>
    /// Payloads that arrived before the kernel connection was accepted (server side, bounded by the transport),
    /// delivered once it is; null when none.
    /// </summary>
    public List<byte[]>? Held { get; set; }

    /// <summary>Takes one captured segment of the peer into account.</summary>
    public void OnSegment(in TcpSegment segment, long now)
    {
        LastSeen = now;
        if ((segment.Flags & TcpFlags.Acknowledgment) != 0)
        {
            Sequence = segment.Acknowledgment;
        }

        uint consumed = segment.SequenceLength;
        if (consumed != 0 && (Acknowledgment == 0 || Acknowledgment == segment.Sequence))
        {
            Acknowledgment = segment.Sequence + consumed;
        }
    }

    /// <summary>Reserves sequence space for one outgoing payload; returns its sequence number.</summary>
    public uint Advance(int payloadLength)
    {
        uint sequence = Sequence;
        Sequence += (uint)payloadLength;
        return sequence;
    }
}
