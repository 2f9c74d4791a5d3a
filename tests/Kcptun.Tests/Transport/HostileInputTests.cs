using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// Datagrams a hostile or broken peer can send: each is dropped and counted, the receive loop goes on. A valid
/// datagram sent afterwards from the same socket proves the loop processed everything before it (loopback keeps
/// the order of one sender), so no test sleeps.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const uint Conversation = 0x1234_5678;
    private readonly CancellationToken _ct = TimeoutToken();
    private KcpListener _listener = null!;
    private Socket _peer = null!;
    private IPEndPoint _target = null!;
    private uint _nextSequence;

    public Task InitializeAsync()
    {
        _listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options());
        _target = LoopbackPort(_listener.LocalEndPoint);
        _peer = RawPeer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _peer.Dispose();
        await _listener.DisposeAsync();
    }

    private void SendRaw(byte[] datagram) => _peer.SendTo(datagram, _target);

    /// <summary>A valid PUSH of the next sn, so the session's reader sees <paramref name="text"/>.</summary>
    private void SendPush(string text) =>
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, Encoding.ASCII.GetBytes(text))));

    private static async Task ExpectTextAsync(KcpSession session, string text, CancellationToken ct)
    {
        var buffer = new byte[text.Length];
        await ReadExactlyAsync(session, buffer, ct);
        Assert.Equal(text, Encoding.ASCII.GetString(buffer));
    }

    private async Task<KcpSession> OpenSessionAsync()
    {
        SendPush("open");
        KcpSession session = await _listener.AcceptAsync(_ct);
        await ExpectTextAsync(session, "open", _ct);
        return session;
    }

    [Fact]
    public async Task Datagram_shorter_than_the_crypto_header_is_a_checksum_error()
    {
        SendRaw([1, 2, 3, 4, 5]);
        await using KcpSession session = await OpenSessionAsync();
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
        await using KcpSession session = await OpenSessionAsync();
        Assert.Equal(2, _listener.Counters.InCsumErrors);
    }

    [Fact]
    public async Task Payload_shorter_than_a_segment_header_is_an_input_error()
    {
        SendRaw(SealNone(new byte[23]));
        SendRaw(SealNone([]));
        await using KcpSession session = await OpenSessionAsync();
        Assert.Equal(2, _listener.Counters.InErrs);
        Assert.Equal(0, _listener.Counters.InCsumErrors);
    }

    [Fact]
    public async Task Datagram_larger_than_any_mtu_is_dropped_and_counted()
    {
        SendRaw(new byte[4000]);
        await using KcpSession session = await OpenSessionAsync();
        Assert.Equal(1, _listener.Counters.InErrs + _listener.Counters.InCsumErrors);
    }

    [Fact]
    public async Task Parity_packet_from_an_unknown_address_creates_no_session()
    {
        var parity = new byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(parity, 7);
        BinaryPrimitives.WriteUInt16LittleEndian(parity.AsSpan(4), PacketPipeline.FecParityFlag);
        SendRaw(SealNone(parity));
        await using KcpSession session = await OpenSessionAsync();
        Assert.Equal(1, _listener.Counters.InErrs);
        Assert.Equal(1, _listener.SessionCount);
    }

    [Fact]
    public async Task Malformed_segments_on_a_session_are_kcp_input_errors_and_the_session_survives()
    {
        await using KcpSession session = await OpenSessionAsync();
        long before = SnapshotKcpErrors(session);

        SendRaw(SealNone(Segment(Conversation, 99, 1, "x"u8)));                          // unknown command
        SendRaw(SealNone(Segment(Conversation, Push, 1, "x"u8, length: 1_000_000_000)));  // len beyond the datagram
        SendRaw(SealNone(Segment(Conversation, Push, 1, "xyz"u8, length: 100)));          // truncated segment
        byte[] garbage = SealNone([.. BitConverter.GetBytes(Conversation), .. Enumerable.Repeat((byte)0xEE, 60)]);
        SendRaw(garbage);                                                                 // conv right, rest garbage
        SendPush("still alive");
        await ExpectTextAsync(session, "still alive", _ct);

        Assert.Equal(4, SnapshotKcpErrors(session) - before);
        Assert.Equal(0, _listener.Counters.InErrs + _listener.Counters.InCsumErrors);
        Assert.False(session.IsClosed);
    }

    private static long SnapshotKcpErrors(KcpSession session) => Volatile.Read(ref session.Counters.KcpInErrors);

    [Fact]
    public async Task Absurd_fragment_and_window_values_do_not_break_a_stream_session()
    {
        await using KcpSession session = await OpenSessionAsync();
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, "a"u8, fragment: 255, window: ushort.MaxValue)));
        SendRaw(SealNone(Segment(Conversation, Push, _nextSequence++, "b"u8, window: 0)));
        SendPush("c");
        await ExpectTextAsync(session, "abc", _ct);
    }

    [Fact]
    public async Task Different_conversation_from_a_known_address_is_dropped_unless_sn_is_zero()
    {
        KcpSession first = await OpenSessionAsync();
        SendRaw(SealNone(Segment(0xAAAA, Push, 5, "stray"u8)));   // other conv, sn != 0: dropped
        SendPush("mark");
        await ExpectTextAsync(first, "mark", _ct);
        Assert.Equal(1, _listener.Counters.InErrs);
        Assert.False(first.IsClosed);

        // A restarted client on the same address (new conv, sn 0) replaces the old session.
        SendRaw(SealNone(Segment(0xBBBB, Push, 0, "new"u8)));
        await using KcpSession second = await _listener.AcceptAsync(_ct);
        await ExpectTextAsync(second, "new", _ct);
        Assert.Equal(0xBBBBu, second.Conversation);
        Assert.True(first.IsClosed);
        Assert.Equal(0, await first.ReadAsync(new byte[10], _ct));
        Assert.Equal(1, _listener.SessionCount);
        Assert.Equal(0, first.Counters.CurrEstab);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Flood_of_new_addresses_is_bounded_by_the_accept_backlog()
    {
        const int Senders = KcpListener.AcceptBacklog + 5;
        await using KcpSession accepted = await OpenSessionAsync();
        var senders = new List<Socket>();
        try
        {
            for (int i = 0; i < Senders; i++)
            {
                Socket sender = RawPeer();
                senders.Add(sender);
                sender.SendTo(SealNone(Segment((uint)i + 1, Push, 0, [(byte)i])), _target);
            }

            // Loopback delivers in send order, so once this arrives every flood datagram has been handled.
            SendPush("mark");
            await ExpectTextAsync(accepted, "mark", _ct);
            Assert.Equal(1 + KcpListener.AcceptBacklog, _listener.SessionCount);
            Assert.Equal(Senders - KcpListener.AcceptBacklog, _listener.Counters.InErrs);

            // Accepting one frees one backlog slot, and the first queued session is the first sender's.
            await using KcpSession first = await _listener.AcceptAsync(_ct);
            Assert.Equal(1u, first.Conversation);
        }
        finally
        {
            foreach (Socket sender in senders)
            {
                sender.Dispose();
            }
        }
    }
}

public sealed class ClientSourceFilterTests
{
    [Fact]
    public async Task Client_session_accepts_only_the_first_source_address()
    {
        CancellationToken ct = TimeoutToken();
        using Socket server = RawPeer();
        using Socket intruder = RawPeer();
        await using KcpSession client = await KcpSession.ConnectAsync(server.LocalEndPoint!, Options(), ct);
        await client.WriteAsync("hi"u8.ToArray(), ct);

        var buffer = new byte[1500];
        SocketReceiveFromResult first = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct);
        uint conversation = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20));
        Assert.Equal(client.Conversation, conversation);

        // The server answers first, then an intruder tries the same conversation, then the server again.
        server.SendTo(SealNone(Segment(conversation, Push, 0, "a"u8)), first.RemoteEndPoint);
        var reply = new byte[1];
        await ReadExactlyAsync(client, reply, ct);
        intruder.SendTo(SealNone(Segment(conversation, Push, 1, "X"u8)), first.RemoteEndPoint);
        intruder.SendTo(SealNone(Segment(conversation, Push, 1, "X"u8)), first.RemoteEndPoint);
        server.SendTo(SealNone(Segment(conversation, Push, 1, "b"u8)), first.RemoteEndPoint);
        await ReadExactlyAsync(client, reply, ct);
        Assert.Equal((byte)'b', reply[0]);
        Assert.Equal(2, client.Counters.InErrs);
    }
}
