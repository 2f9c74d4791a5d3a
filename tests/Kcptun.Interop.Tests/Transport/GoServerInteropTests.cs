using System.Net;
using System.Security.Cryptography;
using Kcptun.Crypto;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// Our <see cref="KcpSession"/> against the real Go <c>kcptun-server</c>: hand-built smux v1 frames through the
/// server to a loopback TCP echo target and back (PROTOCOL.md sections 4, 6.12, 8.1).
/// </summary>
public sealed class GoServerInteropTests
{
    private const string ServerProgram = "/usr/bin/kcptun-server";
    private const string Key = "interop key";
    private const int MiB = 1024 * 1024;

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_crypt_none_without_fec() => EchoAsync("none", 0, 0, 8 * MiB);

    [Fact]
    public Task Session_through_go_server_echoes_8_MiB_aes_with_fec_10_3() => EchoAsync("aes", 10, 3, 8 * MiB);

    internal static async Task EchoAsync(string crypt, int dataShards, int parityShards, int size)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        await using var echo = new TcpEchoServer();
        byte[] key = PacketProtection.DeriveKey(Key);
        byte[] data = RandomNumberGenerator.GetBytes(size);
        for (int attempt = 1; ; attempt++)
        {
            int port = GoKcptunProcess.FreeUdpPort();
            using GoKcptunProcess server = await GoKcptunProcess.StartAsync(ServerProgram,
            [
                "--crypt", crypt, "--key", Key, "--nocomp", "--datashard", $"{dataShards}", "--parityshard", $"{parityShards}",
                "--smuxver", "1", "-t", $"127.0.0.1:{echo.Port}", "-l", $"127.0.0.1:{port}",
            ], "key derivation done", ct);

            var options = new KcpSessionOptions
            {
                DataShards = dataShards,
                ParityShards = parityShards,
                SendWindow = 1024,
                ReceiveWindow = 1024,
                ProtectionFactory = () => PacketProtection.Create(crypt, key, WireGeneration.Debian),
            };
            await using KcpSession session = await KcpSession.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), options, ct);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _ = server.Exited.ContinueWith(_ => attemptTimeout.Cancel(), TaskScheduler.Default);
            byte[] echoed;
            try
            {
                echoed = await SmuxEcho.RunAsync(session, data, 16 * 1024, attemptTimeout.Token);
            }
            catch (OperationCanceledException) when (attempt < 3 && !ct.IsCancellationRequested && server.LostPortRace)
            {
                continue; // Another process took the port between our probe and the server's bind.
            }

            Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(echoed), "echoed data differs");
            Assert.Equal(0, session.Counters.InCsumErrors);
            Assert.Equal(0, session.Counters.KcpInErrors);
            Assert.Equal(0, session.Counters.InErrs);
            Assert.False(server.HasExited, server.Log);
            return;
        }
    }
}
