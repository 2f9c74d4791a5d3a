using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// Datagrams a hostile or broken peer can send to a listener on the in-memory link: each is dropped and counted, the
/// receive path goes on. The link delivers one sender's datagrams in order, so a valid datagram sent afterwards
/// proves everything before it was handled.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const uint Conversation = 0x1234_5678;
    private readonly InMemoryNetwork _network = new();
    private KcpListener _listener = null!;
    private RawPeer _peer = null!;
    private uint _nextSequence;

    public Task InitializeAsync()
    {
        _listener = _network.Listen(Options());
        _peer = new RawPeer(_network);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _peer.Close();
        await _listener.DisposeAsync();
    }

    private void SendRaw(byte[] datagram) => _peer.Send(datagram, _listener.LocalEndPoint);

    /// <summary>A valid PUSH of the next sn, so the session's reader sees <paramref name="text"/>.</summary>
    private void SendPush(string text) =>
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, Encoding.ASCII.GetBytes(text))));

    /// <summary>Delivers what was sent, then reads exactly <paramref name="text"/>'s length from the session.</summary>
    private void ExpectText(KcpSession session, string text)
    {
        _network.Settle();
        var buffer = new byte[text.Length];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = session.TryReceive(buffer.AsSpan(total));
            Assert.True(n > 0, $"only {total} of {text.Length} bytes arrived");
            total += n;
        }

        Assert.Equal(text, Encoding.ASCII.GetString(buffer));
    }

    private KcpSession OpenSession()
    {
        SendPush("open");
        _network.Settle();
        KcpSession session = AcceptNow(_listener);
        ExpectText(session, "open");
        return session;
    }

    [Fact]
    public async Task Datagram_shorter_than_the_crypto_header_is_a_checksum_error()
    {
        SendRaw([1, 2, 3, 4, 5]);
        await using KcpSession session = OpenSession();
        Assert.Equal(1, _listener.Counters.InCsumErrors);
        Assert.Equal(1, _listener.SessionCount);
    }

    [Fact]
    public async Task Bad_crc_is_a_checksum_error()
    {
        byte[] datagram = SealNone(Segment(Conversation, Push, 0, "evil"u8));
        datagram[^1] ^= 0x40;
        SendRaw(datagram);
        SendRaw(new byte[200]); // all zero: CRC field 0 does not match
        await using KcpSession session = OpenSession();
        Assert.Equal(2, _listener.Counters.InCsumErrors);
    }

    [Fact]
    public async Task Payload_shorter_than_a_segment_header_is_an_input_error()
    {
        SendRaw(SealNone(new byte[23]));
        SendRaw(SealNone([]));
        await using KcpSession session = OpenSession();
        Assert.Equal(2, _listener.Counters.InErrs);
        Assert.Equal(0, _listener.Counters.InCsumErrors);
    }

    [Fact]
    public async Task Parity_packet_from_an_unknown_address_creates_no_session()
    {
        var parity = new byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(parity, 7);
        BinaryPrimitives.WriteUInt16LittleEndian(parity.AsSpan(4), PacketPipeline.FecParityFlag);
        SendRaw(SealNone(parity));
        await using KcpSession session = OpenSession();
        Assert.Equal(1, _listener.Counters.InErrs);
        Assert.Equal(1, _listener.SessionCount);
    }

    [Fact]
    public async Task Malformed_segments_on_a_session_are_kcp_input_errors_and_the_session_survives()
    {
        await using KcpSession session = OpenSession();
        long before = SnapshotKcpErrors(session);

        SendRaw(SealNone(Segment(Conversation, 99, 1, "x"u8)));                          // unknown command
        SendRaw(SealNone(Segment(Conversation, Push, 1, "x"u8, length: 1_000_000_000)));  // len beyond the datagram
        SendRaw(SealNone(Segment(Conversation, Push, 1, "xyz"u8, length: 100)));          // truncated segment
        byte[] garbage = SealNone([.. BitConverter.GetBytes(Conversation), .. Enumerable.Repeat((byte)0xEE, 60)]);
        SendRaw(garbage);                                                                 // conv right, rest garbage
        SendPush("still alive");
        ExpectText(session, "still alive");

        Assert.Equal(4, SnapshotKcpErrors(session) - before);
        Assert.Equal(0, _listener.Counters.InErrs + _listener.Counters.InCsumErrors);
        Assert.False(session.IsClosed);
    }

    private static long SnapshotKcpErrors(KcpSession session) => Volatile.Read(ref session.Counters.KcpInErrors);

    [Fact]
    public async Task Absurd_fragment_and_window_values_do_not_break_a_stream_session()
    {
        await using KcpSession session = OpenSession();
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, "a"u8, fragment: 255, window: ushort.MaxValue)));
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, "b"u8, window: 0)));
        SendPush("c");
        ExpectText(session, "abc");
    }

    [Fact]
    public async Task Different_conversation_from_a_known_address_is_dropped_unless_sn_is_zero()
    {
        KcpSession first = OpenSession();
        SendRaw(SealNone(Segment(0xAAAA, Push, 5, "stray"u8)));   // other conv, sn != 0: dropped
        SendPush("mark");
        ExpectText(first, "mark");
        Assert.Equal(1, _listener.Counters.InErrs);
        Assert.False(first.IsClosed);

        // A restarted client on the same address (new conv, sn 0) replaces the old session.
        SendRaw(SealNone(Segment(0xBBBB, Push, 0, "new"u8)));
        _network.Settle();
        await using KcpSession second = AcceptNow(_listener);
        ExpectText(second, "new");
        Assert.Equal(0xBBBBu, second.Conversation);
        Assert.True(first.IsClosed);
        Assert.Equal(0, first.TryReceive(new byte[10]));
        Assert.Equal(1, _listener.SessionCount);
        Assert.Equal(0, first.Counters.CurrEstab);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Flood_of_new_addresses_is_bounded_by_the_accept_backlog()
    {
        const int Senders = KcpListener.AcceptBacklog + 5;
        await using KcpSession accepted = OpenSession();
        var senders = new List<RawPeer>();
        try
        {
            for (int i = 0; i < Senders; i++)
            {
                var sender = new RawPeer(_network);
                senders.Add(sender);
                sender.Send(SealNone(Segment((uint)i + 1, Push, 0, [(byte)i])), _listener.LocalEndPoint);
            }

            SendPush("mark");
            ExpectText(accepted, "mark");
            Assert.Equal(1 + KcpListener.AcceptBacklog, _listener.SessionCount);
            Assert.Equal(Senders - KcpListener.AcceptBacklog, _listener.Counters.InErrs);

            // Accepting one frees one backlog slot, and the first queued session is the first sender's.
            await using KcpSession first = AcceptNow(_listener);
            Assert.Equal(1u, first.Conversation);
        }
        finally
        {
            foreach (RawPeer sender in senders)
            {
                sender.Close();
            }
        }
    }
}

/// <summary>What only a real socket shows: a datagram longer than any MTU is cut by the kernel, then dropped and counted.</summary>
public sealed class ListenerSocketInputTests
{
    [Fact]
    public async Task Datagram_larger_than_any_mtu_is_dropped_and_counted()
    {
        CancellationToken ct = TimeoutToken();
        await using var listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options());
        using Socket peer = RawPeer();
        IPEndPoint target = LoopbackPort(listener.LocalEndPoint);
        peer.SendTo(new byte[4000], target);
        peer.SendTo(SealNone(Segment(0x1234_5678, Push, 0, "open"u8)), target);
        await using KcpSession session = await listener.AcceptAsync(ct);
        var buffer = new byte[4];
        await ReadExactlyAsync(session, buffer, ct);
        Assert.Equal(1, listener.Counters.InErrs + listener.Counters.InCsumErrors);
    }
}

public sealed class ClientSourceFilterTests
{
    [Fact]
    public async Task Client_session_accepts_only_the_first_source_address()
    {
        var network = new InMemoryNetwork();
        var server = new RawPeer(network);
        var intruder = new RawPeer(network);
        await using KcpSession client = network.Connect(server.EndPoint, Options());
        Assert.True(client.TrySend("hi"u8));
        network.Settle();

        Assert.True(server.Received.TryDequeue(out (byte[] Data, IPEndPoint Source) first));
        uint conversation = BinaryPrimitives.ReadUInt32LittleEndian(first.Data.AsSpan(20));
        Assert.Equal(client.Conversation, conversation);

        // The server answers first, then an intruder tries the same conversation, then the server again.
        server.Send(SealNone(Segment(conversation, Push, 0, "a"u8)), first.Source);
        network.Settle();
        intruder.Send(SealNone(Segment(conversation, Push, 1, "X"u8)), first.Source);
        intruder.Send(SealNone(Segment(conversation, Push, 1, "X"u8)), first.Source);
        network.Settle();
        server.Send(SealNone(Segment(conversation, Push, 1, "b"u8)), first.Source);
        network.Settle();
        var reply = new byte[4];
        Assert.Equal(2, client.TryReceive(reply));
        Assert.Equal("ab"u8.ToArray(), reply[..2]);
        Assert.Equal(2, client.Counters.InErrs);
    }
}
