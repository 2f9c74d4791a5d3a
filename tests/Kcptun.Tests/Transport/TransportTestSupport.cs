using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kcptun.Crypto;
using Kcptun.Transport;

namespace Kcptun.Tests.Transport;

/// <summary>Shared pieces of the transport tests: options, timeouts, exact reads, hand-built datagrams.</summary>
internal static class TransportTestSupport
{
    /// <summary>Hard limit for any single socket test step.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Plain (no FEC) sessions with the <c>none</c> cipher, fast mode, roomy windows so tests run quickly.</summary>
    public static KcpSessionOptions Options(int dataShards = 0, int parityShards = 0) => new()
    {
        DataShards = dataShards,
        ParityShards = parityShards,
        SendWindow = 512,
        ReceiveWindow = 512,
        NoDelay = 1,
        Interval = 10,
        Resend = 2,
        NoCongestionControl = 1,
        SocketBuffer = 1 << 20,
    };

    public static CancellationToken TimeoutToken() => new CancellationTokenSource(Timeout).Token;

    // The helpers continue off the test's synchronization context (ConfigureAwait(false)): xunit's context runs a few
    // threads for every test at once, and a continuation queued there can wait far behind a pump's steps.
    public static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"stream ended after {total} of {buffer.Length} bytes");
            }

            total += n;
        }
    }

    /// <summary>Echoes everything <paramref name="session"/> receives until it ends.</summary>
    public static async Task EchoAsync(Stream session, CancellationToken ct = default)
    {
        var buffer = new byte[65536];
        while (true)
        {
            int n = await session.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            await session.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="data"/> in pieces of <paramref name="chunk"/> bytes.</summary>
    public static async Task WriteAllAsync(Stream stream, byte[] data, int chunk = 50_000, CancellationToken ct = default)
    {
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(chunk, data.Length - offset)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>A session the listener has ready (it must have one: the pump thread accepts without waiting).</summary>
    public static KcpSession AcceptNow(KcpListener listener)
    {
        Task<KcpSession> accept = listener.AcceptAsync().AsTask();
        Assert.True(accept.IsCompletedSuccessfully, "no session waiting to be accepted");
        return accept.Result;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A KCP segment: conv, cmd, frg, wnd, ts, sn, una, len, then the data (docs/protocol/kcp.md §6.1).</summary>
    public static byte[] Segment(uint conversation, byte command, uint sequence, ReadOnlySpan<byte> data,
        uint una = 0, ushort window = 128, uint? length = null, byte fragment = 0)
    {
        var segment = new byte[24 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(segment, conversation);
        segment[4] = command;
        segment[5] = fragment;
        BinaryPrimitives.WriteUInt16LittleEndian(segment.AsSpan(6), window);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(12), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(16), una);
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(20), length ?? (uint)data.Length);
        data.CopyTo(segment.AsSpan(24));
        return segment;
    }

    public const byte Push = 81;

    /// <summary>Wraps a payload in the <c>none</c> protection: 16-byte nonce, CRC32, payload.</summary>
    public static byte[] SealNone(ReadOnlySpan<byte> payload)
    {
        PacketProtection protection = PacketProtection.Create("none", new byte[32], WireGeneration.Debian);
        var buffer = new byte[protection.HeaderSize + payload.Length + protection.TrailerSize];
        payload.CopyTo(buffer.AsSpan(protection.HeaderSize));
        int length = protection.Seal(buffer, protection.HeaderSize + payload.Length);
        return buffer[..length];
    }

    /// <summary>A raw UDP peer on loopback that plays a hand-driven KCP client.</summary>
    public static Socket RawPeer(AddressFamily family = AddressFamily.InterNetwork)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        return socket;
    }

    public static IPEndPoint LoopbackPort(EndPoint listening) =>
        new(IPAddress.Loopback, ((IPEndPoint)listening).Port);
}
