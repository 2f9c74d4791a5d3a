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

    public static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], ct);
            if (n == 0)
            {
                throw new EndOfStreamException($"stream ended after {total} of {buffer.Length} bytes");
            }

            total += n;
        }
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
