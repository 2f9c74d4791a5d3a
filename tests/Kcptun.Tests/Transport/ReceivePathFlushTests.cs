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

    /// <summary>Holds the shared scheduler's thread inside its update until released.</summary>
    private sealed class Blocker : IScheduledUpdate, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Entered { get; } = new();

        public long RunUpdate()
        {
            Entered.Set();
            _release.Wait(TransportTestSupport.Timeout);
            return -1;
        }

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Set();
            Entered.Dispose();
        }
    }

    [Fact]
    public async Task Acks_leave_from_the_receive_path_while_the_scheduler_thread_is_stalled()
    {
        CancellationToken ct = TimeoutToken();
        await using var listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options());
        using var peer = RawPeer();
        var target = LoopbackPort(listener.LocalEndPoint);
        uint sequence = 0;
        peer.SendTo(SealNone(Segment(Conversation, Push, sequence++, Encoding.ASCII.GetBytes("open"))), target);
        await using KcpSession session = await listener.AcceptAsync(ct);
        var opened = new byte[4];
        await ReadExactlyAsync(session, opened, ct);

        using var blocker = new Blocker();
        KcpScheduler.Shared.Schedule(blocker);
        try
        {
            Assert.True(blocker.Entered.Wait(TransportTestSupport.Timeout), "the scheduler never ran the blocker");
            Drain(peer);

            // The scheduler cannot flush now: an ACK can only come from the receive path, once the interval is due.
            var buffer = new byte[2048];
            var acked = false;
            for (var attempt = 0; attempt < 100 && !acked; attempt++)
            {
                peer.SendTo(SealNone(Segment(Conversation, Push, sequence++, "x"u8)), target);
                acked = peer.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)
                    && IsAck(buffer.AsSpan(0, peer.Receive(buffer)));
            }

            Assert.True(acked, "no ACK while the scheduler thread was held");
        }
        finally
        {
            blocker.Release();
        }
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
