using System.Net;
using Kcptun.Transport.FakeTcp;

namespace Kcptun.Tests.Transport.FakeTcp;

/// <summary>The sequence bookkeeping of one fake-TCP peer, as tcpraw keeps it.</summary>
public sealed class FakeTcpFlowTests
{
    private static readonly IPEndPoint s_peer = new(IPAddress.Parse("10.99.0.2"), 4000);

    [Fact]
    public void The_handshake_sets_up_both_numbers_and_our_payloads_advance_the_sequence()
    {
        var flow = new FakeTcpFlow(s_peer, 0);

        // The server's SYN-ACK: its ISN 1000, acknowledging our ISN 500.
        flow.OnSegment(Segment(1000, 501, TcpFlags.Syn | TcpFlags.Acknowledgment, 0), 1);
        Assert.Equal(1001u, flow.Acknowledgment);
        Assert.Equal(501u, flow.Sequence);

        Assert.Equal(501u, flow.Advance(100));
        Assert.Equal(601u, flow.Advance(10));
        Assert.Equal(611u, flow.Sequence);

        // The server's data in order: the acknowledgment follows it; its ACK field moves our sequence.
        flow.OnSegment(Segment(1001, 611, TcpFlags.Push | TcpFlags.Acknowledgment, 50), 2);
        Assert.Equal(1051u, flow.Acknowledgment);
        Assert.Equal(611u, flow.Sequence);
        Assert.Equal(2, flow.LastSeen);
    }

    [Fact]
    public void A_gap_freezes_the_acknowledgment_and_the_peer_acknowledgment_rewinds_our_sequence()
    {
        var flow = new FakeTcpFlow(s_peer, 0);
        flow.OnSegment(Segment(1000, 1, TcpFlags.Syn | TcpFlags.Acknowledgment, 0), 0);

        // 1001..1101 lost: a segment at 1101 does not move the acknowledgment (as tcpraw: only in-order segments do).
        flow.OnSegment(Segment(1101, 1, TcpFlags.Push | TcpFlags.Acknowledgment, 100), 0);
        Assert.Equal(1001u, flow.Acknowledgment);

        // We sent 300 bytes the peer never saw in order; its acknowledgment of 101 rewinds us there.
        flow.Advance(300);
        flow.OnSegment(Segment(1001, 101, TcpFlags.Push | TcpFlags.Acknowledgment, 100), 0);
        Assert.Equal(101u, flow.Sequence);
        Assert.Equal(1101u, flow.Acknowledgment);
    }

    [Fact]
    public void Sequence_numbers_wrap_and_segments_without_ACK_leave_our_sequence()
    {
        var flow = new FakeTcpFlow(s_peer, 0);
        flow.OnSegment(Segment(uint.MaxValue, 0, TcpFlags.Syn, 0), 0);
        Assert.Equal(0u, flow.Acknowledgment);
        Assert.Equal(0u, flow.Sequence);
        flow.OnSegment(Segment(0, 0, TcpFlags.Push, 10), 0); // acknowledgment 0 counts as unset, as in tcpraw 1.2.32
        Assert.Equal(10u, flow.Acknowledgment);
        flow.OnSegment(Segment(10, uint.MaxValue - 4, TcpFlags.Acknowledgment, 0), 0);
        Assert.Equal(uint.MaxValue - 4, flow.Advance(10));
        Assert.Equal(5u, flow.Sequence);
    }

    [Fact]
    public void The_flow_knows_the_peer_as_sessions_and_raw_sockets_address_it()
    {
        var flow = new FakeTcpFlow(s_peer, 0);
        Assert.Equal(s_peer.Serialize(), flow.Address);
        Assert.Equal(new IPEndPoint(s_peer.Address, 0).Serialize(), flow.RawDestination);
        Assert.Equal(4000, flow.PeerPort);
        Assert.Equal(s_peer.Address.GetAddressBytes(), flow.PeerIp);
        Assert.Null(flow.Connection);
    }

    private static TcpSegment Segment(uint sequence, uint acknowledgment, TcpFlags flags, int payload) =>
        new(4000, 46080, sequence, acknowledgment, flags, 40, payload);
}
