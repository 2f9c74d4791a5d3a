using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Configuration;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

public class TunnelTests
{
    private static readonly ClientOptions s_client = new() { NoCompression = true, RemoteAddress = "127.0.0.1:1" };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    public async Task Parallel_streams_cross_intact_and_the_server_detects_the_version(int version, int connections)
    {
        await using var tunnel = new TunnelHarness(s_client with { SmuxVersion = version, Connections = connections }, new ServerOptions());
        var sent = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => tunnel.RoundTripAsync(300_000 + i, i)));
        await Poll.UntilAsync(() => tunnel.Target.Received.Count == 6);
        Assert.Equal(sent.Order(), tunnel.Target.Received.Order());
        Assert.Equal(connections, tunnel.TransportConnections);
        Assert.Contains($"smux version: {version} on connection: ", tunnel.ServerLog, StringComparison.Ordinal);
        Assert.Contains($"(detected: uncompressed, smux v{version})", tunnel.ServerLog, StringComparison.Ordinal);
        Assert.Contains("stream opened in: 127.0.0.1:", tunnel.ClientLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forced_version_mismatch_is_refused_with_a_reason()
    {
        await using var tunnel = new TunnelHarness(s_client with { SmuxVersion = 2 }, new ServerOptions { SmuxVersion = 1 });
        await using var stream = await tunnel.ConnectAsync();
        await stream.WriteAsync("hello"u8.ToArray());
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await Poll.UntilAsync(() => tunnel.ServerLog.Contains("refused", StringComparison.Ordinal));
        Assert.Contains("the client speaks smux v2 but this server runs with --smuxver 1", tunnel.ServerLog, StringComparison.Ordinal);
        Assert.Empty(tunnel.Target.Received);
    }

    [Fact]
    public async Task Forced_compression_against_an_uncompressed_client_is_refused()
    {
        await using var tunnel = new TunnelHarness(s_client, new ServerOptions { NoCompression = false });
        await using var stream = await tunnel.ConnectAsync();
        await stream.WriteAsync("hello"u8.ToArray());
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await Poll.UntilAsync(() => tunnel.ServerLog.Contains("--nocomp=false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Target_down_closes_the_stream_and_the_server_keeps_serving()
    {
        // A bound socket that never listens: connecting to it is refused, and no parallel test can be handed its port
        // (a disposed listener's port could be, and the dial would then reach that test's listener).
        using var reserved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        reserved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var deadAddress = reserved.LocalEndPoint!.ToString()!;
        await using var tunnel = new TunnelHarness(s_client, new ServerOptions { Target = deadAddress });
        await using (var stream = await tunnel.ConnectAsync())
        {
            Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        await Poll.UntilAsync(() => tunnel.ServerLog.Contains($"dial tcp {deadAddress}: ", StringComparison.Ordinal));
        await using (var again = await tunnel.ConnectAsync())
        {
            Assert.Equal(0, await again.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(1, tunnel.TransportConnections); // the same session served both streams
    }

    [Fact]
    public async Task A_dead_session_is_replaced_at_the_next_connection()
    {
        await using var tunnel = new TunnelHarness(s_client, new ServerOptions());
        await tunnel.RoundTripAsync(1000, 1);
        tunnel.CutTransport();
        await Poll.UntilAsync(() => tunnel.Client.OpenSessions == 0);
        await tunnel.RoundTripAsync(1000, 2);
        Assert.Equal(2, tunnel.TransportConnections);
    }

    [Fact]
    public async Task Quiet_suppresses_stream_lines()
    {
        await using var tunnel = new TunnelHarness(s_client with { Quiet = true }, new ServerOptions { Quiet = true });
        await tunnel.RoundTripAsync(1000, 1);
        await Poll.UntilAsync(() => tunnel.Target.Received.Count == 1);
        Assert.DoesNotContain("stream opened", tunnel.ClientLog, StringComparison.Ordinal);
        Assert.DoesNotContain("stream opened", tunnel.ServerLog, StringComparison.Ordinal);
        Assert.Contains("smux version: 2 on connection:", tunnel.ClientLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qpp_wraps_stream_payload_on_both_sides()
    {
        await using var tunnel = new TunnelHarness(s_client with { Qpp = true, QppCount = 7 }, new ServerOptions { Qpp = true, QppCount = 7 });
        var sent = await tunnel.RoundTripAsync(100_000, 3);
        await Poll.UntilAsync(() => tunnel.Target.Received.Count == 1);
        Assert.Equal(sent, Assert.Single(tunnel.Target.Received));
    }

    [Fact]
    public async Task Qpp_on_one_side_only_garbles_the_data()
    {
        await using var tunnel = new TunnelHarness(s_client with { Qpp = true, QppCount = 7 }, new ServerOptions());
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        await using var stream = await tunnel.ConnectAsync();
        await stream.WriteAsync(data);
        var echo = new byte[data.Length];
        await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(data, echo); // QPP twice through the client (out and back): the bytes come back, but...
        stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await Poll.UntilAsync(() => tunnel.Target.Received.Count == 1);
        Assert.NotEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), Assert.Single(tunnel.Target.Received)); // ...the target saw ciphertext
    }

    [Fact]
    public async Task Expired_session_takes_no_new_streams_and_is_scavenged_after_its_ttl()
    {
        var time = new TestTimeProvider();
        await using var tunnel = new TunnelHarness(s_client with { AutoExpire = 10, ScavengeTtl = 5 }, new ServerOptions(), clientTime: time);
        await using var first = await tunnel.ConnectAsync();
        await EchoAsync(first, 1);

        time.Advance(TimeSpan.FromSeconds(11)); // the first session expired: the next connection gets a new one
        await tunnel.RoundTripAsync(1000, 2);
        Assert.Equal(2, tunnel.TransportConnections);
        await EchoAsync(first, 2); // ...while the expired session keeps serving its stream

        time.Advance(TimeSpan.FromSeconds(5)); // expiry 10 + ttl 5 passed: the scavenger closes it
        await Poll.UntilAsync(() => tunnel.ClientLog.Contains("scavenger: session closed due to ttl: ", StringComparison.Ordinal));
        Assert.Equal(0, await first.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await tunnel.RoundTripAsync(1000, 3); // the second session is not past its deadline (26 s)
        Assert.Equal(2, tunnel.TransportConnections);
    }

    private static async Task EchoAsync(Stream stream, byte value)
    {
        await stream.WriteAsync(new[] { value });
        var echo = new byte[1];
        await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(value, echo[0]);
    }
}
