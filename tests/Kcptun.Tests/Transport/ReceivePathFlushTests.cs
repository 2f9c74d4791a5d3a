using System.Net;
using System.Net.Sockets;
using System.Text;
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
    public async Task Acks_leave_from_the_receive_path_while_the_scheduler_thread_is_stalled()
    {
        CancellationToken ct = TimeoutToken();
        // A scheduler nobody steps: the session's periodic flush never runs on its own, as when the scheduler
        // thread waits for a CPU.
        var stalled = new KcpScheduler(KcpClock.System);
        await using var listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options() with { Scheduler = stalled });
        using var peer = RawPeer();
        var target = LoopbackPort(listener.LocalEndPoint);
        uint sequence = 0;
        peer.SendTo(SealNone(Segment(Conversation, Push, sequence++, Encoding.ASCII.GetBytes("open"))), target);
        await using KcpSession session = await listener.AcceptAsync(ct);
        var opened = new byte[4];
        await ReadExactlyAsync(session, opened, ct);
        Assert.Equal(1, stalled.Count);
        Drain(peer);

        // The scheduler cannot flush: an ACK can only come from the receive path, once the interval is due.
        var buffer = new byte[2048];
        var acked = false;
        for (var attempt = 0; attempt < 100 && !acked; attempt++)
        {
            peer.SendTo(SealNone(Segment(Conversation, Push, sequence++, "x"u8)), target);
            acked = peer.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)
                && IsAck(buffer.AsSpan(0, peer.Receive(buffer)));
        }

        Assert.True(acked, "no ACK while the scheduler did not run");
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[2048];
        while (socket.Available > 0)
        {
            socket.Receive(buffer);
        }
    }

    // none protection: 16-byte nonce + CRC32, then KCP segments; the command is byte 4 of a segment.
    private static bool IsAck(ReadOnlySpan<byte> datagram) => datagram.Length >= 20 + 24 && datagram[20 + 4] == Ack;
}
