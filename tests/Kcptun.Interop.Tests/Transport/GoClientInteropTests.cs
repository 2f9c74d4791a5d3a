using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Crypto;
using Kcptun.Interop.Tests.Support;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// The real Go <c>kcptun-client</c> against our <see cref="KcpListener"/>: data written into the client's TCP port
/// arrives as smux v1 frames on our accepted session, which answers every PSH with the same bytes; the TCP side
/// must read back exactly what it wrote.
/// </summary>
public sealed class GoClientInteropTests
{
    private const string Key = "interop key";
    private const int MiB = 1024 * 1024;

    [Fact]
    public Task Go_client_through_listener_echoes_8_MiB_crypt_none_without_fec() => EchoAsync("none", 0, 0, 8 * MiB);

    [Fact]
    public Task Go_client_through_listener_echoes_8_MiB_aes_with_fec_10_3() => EchoAsync("aes", 10, 3, 8 * MiB);

    /// <summary>(generation, --crypt) for every --crypt value of each Go generation.</summary>
    public static TheoryData<string, string> EveryCipher()
    {
        var data = new TheoryData<string, string>();
        foreach (var crypt in Tunnel.TunnelInteropTests.DebianCiphers)
        {
            data.Add(GoPeers.Debian.Name, crypt);
        }

        foreach (var crypt in Tunnel.TunnelInteropTests.LatestCiphers)
        {
            data.Add(GoPeers.Latest.Name, crypt);
        }

        return data;
    }

    /// <summary>Bytes per every-cipher case: Debian's as before, 20260314's smaller for CI time.</summary>
    internal static int EveryCipherSize(string generation) => generation == GoPeers.Latest.Name ? 128 * 1024 : MiB / 2;

    /// <summary>Every --crypt value of each Go generation, with the default FEC 10/3.</summary>
    [Theory]
    [MemberData(nameof(EveryCipher))]
    public Task Go_client_through_listener_echoes_with_every_cipher(string generation, string crypt) =>
        EchoAsync(GoPeers.Named(generation), crypt, 10, 3, EveryCipherSize(generation));

    internal static Task EchoAsync(string crypt, int dataShards, int parityShards, int size) =>
        EchoAsync(GoPeers.Debian, crypt, dataShards, parityShards, size);

    internal static async Task EchoAsync(GoPeer peer, string crypt, int dataShards, int parityShards, int size)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        byte[] key = PacketProtection.DeriveKey(Key);
        var options = InteropSessions.Options(crypt, key, dataShards, parityShards, peer.Generation);
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        int udpPort = ((IPEndPoint)listener.LocalEndPoint).Port;
        byte[] data = RandomNumberGenerator.GetBytes(size);
        for (int attempt = 1; ; attempt++)
        {
            int tcpPort = LoopbackPorts.Free(SocketType.Stream);
            GoKcptunProcess client;
            try
            {
                client = await GoKcptunProcess.StartAsync(peer.Client,
                [
                    "--crypt", crypt, "--key", Key, "--nocomp", "-ds", $"{dataShards}", "-ps", $"{parityShards}",
                    "--smuxver", "1", "-r", $"127.0.0.1:{udpPort}", "-l", $"127.0.0.1:{tcpPort}",
                ], "listening on:", ct);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.Ordinal))
            {
                continue; // Another process took the TCP port between our probe and the client's bind.
            }

            using (client)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, tcpPort, ct);
                NetworkStream stream = tcp.GetStream();
                Task<byte[]> readBack = ReadHashAsync(stream, size, ct);
                Task writer = WriteAllAsync(stream, data, ct);

                KcpSession session = await listener.AcceptAsync(ct);
                await using (session)
                {
                    Task responder = AnswerAsync(session, ct);
                    await writer;
                    byte[] echoed = await readBack;
                    Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(echoed), "echoed data differs");
                    Assert.Equal(0, session.Counters.KcpInErrors);
                    Assert.Equal(0, listener.Counters.InErrs);
                    if (crypt != "sm4")
                    {
                        Assert.Equal(0, listener.Counters.InCsumErrors); // sm4: see GoServerInteropTests.EchoAsync
                    }
                    Assert.Equal(1, session.Counters.PassiveOpens);
                    Assert.False(client.HasExited, client.Log);
                    Assert.False(responder.IsFaulted, responder.Exception?.ToString());
                }
            }

            return;
        }
    }

    private static async Task WriteAllAsync(NetworkStream stream, byte[] data, CancellationToken ct)
    {
        for (int offset = 0; offset < data.Length; offset += 32 * 1024)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(32 * 1024, data.Length - offset)), ct);
        }
    }

    private static async Task<byte[]> ReadHashAsync(NetworkStream stream, int size, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[65536];
        int total = 0;
        while (total < size)
        {
            int n = await stream.ReadAsync(buffer, ct);
            if (n == 0)
            {
                throw new EndOfStreamException($"TCP closed after {total} of {size} bytes");
            }

            hash.AppendData(buffer, 0, n);
            total += n;
        }

        return hash.GetHashAndReset();
    }

    /// <summary>The smux server side, by hand: expects SYN for one stream, answers each PSH with a PSH of the same bytes.</summary>
    private static async Task AnswerAsync(KcpSession session, CancellationToken ct)
    {
        uint? stream = null;
        while (await SmuxV1Frames.ReadAsync(session, ct) is { } frame)
        {
            switch (frame.Command)
            {
                case SmuxV1Frames.Syn:
                    stream = frame.StreamId;
                    break;
                case SmuxV1Frames.Psh when frame.StreamId == stream:
                    await session.WriteAsync(SmuxV1Frames.Frame(SmuxV1Frames.Psh, frame.StreamId, frame.Payload), ct);
                    break;
                case SmuxV1Frames.Nop:
                case SmuxV1Frames.Fin:
                    break;
                default:
                    throw new InvalidDataException($"unexpected smux frame cmd {frame.Command} sid {frame.StreamId}");
            }
        }
    }
}
