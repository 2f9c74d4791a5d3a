using System.Net;
using System.Security.Cryptography;
using Kcptun.Crypto;
using Kcptun.Interop.Tests.Support;
using Kcptun.Tests.Support;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// Our <see cref="KcpSession"/> against the real Go <c>kcptun-server</c>: hand-built smux v1 frames through the
/// server to a loopback TCP echo target and back (docs/protocol/crypto.md §4, kcp.md §6.12, smux.md §8.1).
/// </summary>
public sealed class GoServerInteropTests
{
    private const string Key = "interop key";
    private const int MiB = 1024 * 1024;

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_crypt_none_without_fec() => EchoAsync("none", 0, 0, 8 * MiB);

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_aes_with_fec_10_3() => EchoAsync("aes", 10, 3, 8 * MiB);

    /// <summary>
    /// Every --crypt value of each Go generation, with the default FEC 10/3 (smaller transfers: some ciphers are slow;
    /// 20260314's smaller still, for CI time).
    /// </summary>
    [Theory]
    [MemberData(nameof(GoClientInteropTests.EveryCipher), MemberType = typeof(GoClientInteropTests))]
    public Task Session_through_go_server_echoes_with_every_cipher(string generation, string crypt) =>
        EchoAsync(GoPeers.Named(generation), crypt, 10, 3, GoClientInteropTests.EveryCipherSize(generation));

    internal static Task EchoAsync(string crypt, int dataShards, int parityShards, int size) =>
        EchoAsync(GoPeers.Debian, crypt, dataShards, parityShards, size);

    internal static async Task EchoAsync(GoPeer peer, string crypt, int dataShards, int parityShards, int size)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        await using var echo = new EchoTarget();
        byte[] key = PacketProtection.DeriveKey(Key);
        byte[] data = RandomNumberGenerator.GetBytes(size);
        await GoKcptunProcess.RunAgainstServerAsync(peer, port =>
            [
                "--crypt", crypt, "--key", Key, "--nocomp", "--datashard", $"{dataShards}", "--parityshard", $"{parityShards}",
                "--smuxver", "1", "-t", $"127.0.0.1:{echo.Port}", "-l", $"127.0.0.1:{port}",
            ],
            async (server, port, attemptToken) =>
            {
                var options = InteropSessions.Options(crypt, key, dataShards, parityShards, peer.Generation);
                await using KcpSession session = await KcpSession.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), options, ct);
                byte[] echoed = await SmuxEcho.RunAsync(session, data, 16 * 1024, attemptToken);

                Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(echoed), "echoed data differs");
                if (crypt != "sm4")
                {
                    Assert.Equal(0, session.Counters.InCsumErrors);
                }

                Assert.Equal(0, session.Counters.KcpInErrors);
                Assert.Equal(0, session.Counters.InErrs);
                Assert.False(server.HasExited, server.Log);
            }, ct);
    }
}
