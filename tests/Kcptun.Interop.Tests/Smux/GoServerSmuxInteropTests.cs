using System.Net;
using System.Security.Cryptography;
using Kcptun.Compression;
using Kcptun.Crypto;
using Kcptun.Interop.Tests.Support;
using Kcptun.Interop.Tests.Transport;
using Kcptun.Smux;
using Kcptun.Tests.Support;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Smux;

/// <summary>
/// Our <see cref="SmuxSession"/> (with or without snappy framing) over our <see cref="KcpSession"/> to the real Go
/// <c>kcptun-server</c> forwarding to a loopback TCP echo target: 8 parallel streams, SHA-256 of every stream checked.
/// </summary>
public sealed class GoServerSmuxInteropTests
{
    private const string Key = "smux interop";
    private const int Streams = 8;
    private const int BytesPerStream = 8 * 1024 * 1024;

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public async Task Eight_parallel_streams_echo_through_the_go_server(int smuxVersion, bool snappy)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = timeout.Token;
        await using var echo = new EchoTarget();
        var key = PacketProtection.DeriveKey(Key);
        await GoKcptunProcess.RunAgainstServerAsync(port =>
            {
                List<string> arguments =
                [
                    "--crypt", "none", "--key", Key, "--datashard", "0", "--parityshard", "0", "--smuxver", $"{smuxVersion}",
                    "-t", $"127.0.0.1:{echo.Port}", "-l", $"127.0.0.1:{port}",
                ];
                if (!snappy)
                {
                    arguments.Add("--nocomp");
                }

                return arguments;
            },
            async (server, port, attemptToken) =>
            {
                var options = InteropSessions.Options("none", key, 0, 0);
                var kcp = await KcpSession.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), options, ct);
                Stream connection = snappy ? new SnappyFramingStream(kcp) : kcp;
                var config = new SmuxConfig { Version = smuxVersion, MaxReceiveBuffer = 4194304, MaxStreamBuffer = 2097152 };
                await using var session = new SmuxSession(connection, config, isClient: true);
                var results = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => EchoOneAsync(session, attemptToken)));
                Assert.All(results, r => Assert.Equal(r.Sent, r.Received));

                Assert.False(session.IsClosed, session.CloseReason?.Message);
                Assert.Equal(0, kcp.Counters.InCsumErrors);
                Assert.False(server.HasExited, server.Log);
                Assert.DoesNotContain("invalid protocol", server.Log, StringComparison.Ordinal);
            }, ct);
    }

    private static async Task<(string Sent, string Received)> EchoOneAsync(SmuxSession session, CancellationToken ct)
    {
        var data = RandomNumberGenerator.GetBytes(BytesPerStream);
        await using var stream = await session.OpenStreamAsync(ct);
        var writer = Task.Run(async () =>
        {
            // 4096-byte writes, like Debian kcptun's TCP copy.
            for (var offset = 0; offset < data.Length; offset += 4096)
            {
                await stream.WriteAsync(data.AsMemory(offset, Math.Min(4096, data.Length - offset)), ct);
            }
        }, ct);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[65536];
        var received = 0;
        while (received < data.Length)
        {
            var read = await stream.ReadAsync(buffer, ct);
            Assert.True(read > 0, $"stream {stream.Id} ended after {received} bytes");
            hash.AppendData(buffer, 0, read);
            received += read;
        }

        await writer;
        return (Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(hash.GetHashAndReset()));
    }
}
