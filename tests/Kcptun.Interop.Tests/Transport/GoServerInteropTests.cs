using System.Net;
using System.Security.Cryptography;
using Kcptun.Crypto;
using Kcptun.Interop.Tests.Support;
using Kcptun.Tests.Support;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// Our <see cref="KcpSession"/> against the real Go <c>kcptun-server</c>: hand-built smux v1 frames through the
/// server to a loopback TCP echo target and back (PROTOCOL.md sections 4, 6.12, 8.1).
/// </summary>
public sealed class GoServerInteropTests
{
    private const string Key = "interop key";
    private const int MiB = 1024 * 1024;

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_crypt_none_without_fec() => EchoAsync("none", 0, 0, 8 * MiB);

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_aes_with_fec_10_3() => EchoAsync("aes", 10, 3, 8 * MiB);

    /// <summary>Every Debian --crypt value, with the default FEC 10/3 (smaller transfers: some ciphers are slow).</summary>
    [Theory]
    [MemberData(nameof(GoClientInteropTests.DebianCiphers), MemberType = typeof(GoClientInteropTests))]
    public Task Session_through_go_server_echoes_with_every_cipher(string crypt) => EchoAsync(crypt, 10, 3, MiB / 2);

    // sm4: Go's gmsm 1.3.0 Sm4Cipher keeps scratch buffers in the cipher object, and kcp-go encrypts (writer) and
    // decrypts (read loop) with one object at the same time, so the Go side now and then emits a corrupted datagram
    // that fails our CRC check (and KCP resends it). The data still arrive intact; only the checksum count differs.
    internal static async Task EchoAsync(string crypt, int dataShards, int parityShards, int size)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        await using var echo = new EchoTarget();
        byte[] key = PacketProtection.DeriveKey(Key);
        byte[] data = RandomNumberGenerator.GetBytes(size);
        await GoKcptunProcess.RunAgainstServerAsync(port =>
            [
                "--crypt", crypt, "--key", Key, "--nocomp", "--datashard", $"{dataShards}", "--parityshard", $"{parityShards}",
                "--smuxver", "1", "-t", $"127.0.0.1:{echo.Port}", "-l", $"127.0.0.1:{port}",
            ],
            async (server, port, attemptToken) =>
            {
                var options = InteropSessions.Options(crypt, key, dataShards, parityShards);
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
