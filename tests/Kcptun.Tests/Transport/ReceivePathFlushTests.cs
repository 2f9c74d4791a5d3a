using System.Text;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// The periodic flush also runs from the receive path once due, so ACKs leave within the interval even when the
/// scheduler thread is late (on a loaded machine it waits for a CPU; the peer's 30 ms RTO then fires spuriously).
/// </summary>
public sealed class ReceivePathFlushTests
{
    private const uint Conversation = 0x0bad_cafe;
    private const byte Ack = 82;

    [Fact]
    public async Task Acks_leave_from_the_receive_path_while_the_scheduler_is_stalled()
    {
        var network = new InMemoryNetwork();

        // A scheduler nobody steps: the session's periodic flush never runs on its own.
        var stalled = new KcpScheduler(new KcpClock(network.Time));
        KcpSessionOptions options = network.Configure(Options()) with { Scheduler = stalled, Interval = 100 };
        await using var listener = KcpListener.Start(network.Bind(), options);
        var peer = new RawPeer(network);
        uint sequence = 0;
        peer.Send(SealNone(Segment(Conversation, Push, sequence++, Encoding.ASCII.GetBytes("open"))), listener.LocalEndPoint);
        network.Settle();
        await using KcpSession session = AcceptNow(listener);
        Assert.Equal(4, session.TryReceive(new byte[4]));
        Assert.Equal(1, stalled.Count);
        peer.Received.Clear();

        // Within the interval (100 ms) of the last flush no ACK leaves; once it is due, the next datagram flushes it.
        peer.Send(SealNone(Segment(Conversation, Push, sequence++, "x"u8)), listener.LocalEndPoint);
        network.Settle();
        Assert.DoesNotContain(peer.Received, d => IsAck(d.Data));
        network.RunFor(TimeSpan.FromMilliseconds(100));
        Assert.DoesNotContain(peer.Received, d => IsAck(d.Data));
        peer.Send(SealNone(Segment(Conversation, Push, sequence++, "y"u8)), listener.LocalEndPoint);
        network.Settle();
        Assert.Contains(peer.Received, d => IsAck(d.Data));
        Assert.Equal(1, stalled.Count);
    }

    // none protection: 16-byte nonce + CRC32, then KCP segments; the command is byte 4 of a segment.
    private static bool IsAck(ReadOnlySpan<byte> datagram) => datagram.Length >= 20 + 24 && datagram[20 + 4] == Ack;
}
