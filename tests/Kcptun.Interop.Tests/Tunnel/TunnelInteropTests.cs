using System.Globalization;
using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// Our client against the real Go server and the Go client against our server, for each Go generation (Debian 12's
/// 20210922 and 20260314), random data on parallel streams, SHA-256 compared at the target. A pairwise matrix per
/// generation: every --crypt value that generation knows in both directions, and FEC, compression, smux version,
/// mode and --conn varying with the cipher so that every value of each appears in both directions and every pair of
/// values of two settings appears somewhere. The flags only the latest generation has are in
/// <see cref="LatestOptionsInteropTests"/>.
/// </summary>
public class TunnelInteropTests
{
    /// <summary>The Debian --crypt table (docs/protocol/crypto.md §3.1).</summary>
    internal static readonly string[] DebianCiphers = ["aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea", "xor", "sm4", "none"];

    /// <summary>The latest --crypt table: Debian's plus aes-128-gcm and null (docs/protocol/generations.md §11.2).</summary>
    internal static readonly string[] LatestCiphers = ["aes", "aes-128", "aes-128-gcm", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea", "xor", "sm4", "none", "null"];

    private static readonly string[] s_modes = ["normal", "fast", "fast2", "fast3", "manual"];

    public static TheoryData<string, bool, string, bool, bool, int, string, int> Matrix()
    {
        var data = new TheoryData<string, bool, string, bool, bool, int, string, int>();
        foreach (var peer in GoPeers.All)
        {
            var ciphers = peer == GoPeers.Latest ? LatestCiphers : DebianCiphers;
            for (var c = 0; c < ciphers.Length; c++)
            {
                var fec = c % 2 == 0;
                var compress = (c >> 1) % 2 == 0;
                var smux = ((c >> 2) + c) % 2 + 1;
                var mode = s_modes[c % s_modes.Length];
                var conn = (c / 3) % 2 == 0 ? 1 : 4;
                foreach (var ourClient in new[] { true, false })
                {
                    data.Add(peer.Name, ourClient, ciphers[c], fec, compress, smux, mode, conn);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Data_crosses_intact(string generation, bool ourClient, string crypt, bool fec, bool compress, int smux, string mode, int conn)
    {
        var peer = GoPeers.Named(generation);
        Assert.True(peer.Available, $"the Go kcptun {peer} binaries are not in {peer.BinaryFolder} (bash .ci/go-peers)");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        string[] common =
        [
            "--key", $"interop-{crypt}", "--crypt", crypt, "--mode", mode,
            "--datashard", fec ? "10" : "0", "--parityshard", fec ? "3" : "0",
            .. mode == "manual" ? new[] { "--nodelay", "1", "--interval", "20", "--resend", "2", "--nc", "1" } : [],
            .. compress ? Array.Empty<string>() : ["--nocomp"],
            // 20260314's server half-closes the target only --closewait seconds (default 30) after the client's FIN.
            .. peer == GoPeers.Latest ? ["--closewait", "0"] : Array.Empty<string>(),
        ];
        string[] smuxArgs = ["--smuxver", smux.ToString(CultureInfo.InvariantCulture)];
        string[] clientArgs = [.. common, .. smuxArgs, "--conn", conn.ToString(CultureInfo.InvariantCulture)];

        // Our server is left on auto-detection for smux version and compression; the Go server is told both.
        await using var pair = ourClient
            ? await TunnelPair.OurClientAsync(peer, clientArgs, [.. common, .. smuxArgs], timeout.Token)
            : await TunnelPair.OurServerAsync(peer, common, clientArgs, timeout.Token);
        // Debian's matrix predates the second generation and keeps its size; the 20260314 one stays small for CI time.
        var size = peer == GoPeers.Latest ? 64 * 1024 : 256 * 1024;
        var sent = await pair.TransferAsync(streams: 4, size, seed: crypt.Length, timeout.Token);
        await WaitUntil(() => pair.Target.Received.Count == sent.Length, () => pair.OurLog + pair.GoLog, timeout.Token);
        Assert.Equal(sent.Order(), pair.Target.Received.Order());
        if (!ourClient)
        {
            Assert.Contains($"(detected: {(compress ? "compressed" : "uncompressed")}, smux v{smux})", pair.OurLog, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_few_MiB_on_parallel_streams(bool ourClient)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        string[] args = ["--key", "bulk", "--crypt", "aes", "--mode", "fast3", "--smuxver", "2"];
        await using var pair = ourClient
            ? await TunnelPair.OurClientAsync(args, args, timeout.Token)
            : await TunnelPair.OurServerAsync(args, args, timeout.Token);
        var sent = await pair.TransferAsync(streams: 4, size: 1024 * 1024, seed: 7, timeout.Token);
        await WaitUntil(() => pair.Target.Received.Count == sent.Length, () => pair.OurLog + pair.GoLog, timeout.Token);
        Assert.Equal(sent.Order(), pair.Target.Received.Order());
    }

    /// <summary>
    /// Under --cc bbr our receiving side grows a version 2 stream's window from --streambuf while its reader keeps up
    /// (docs/receive-window.md). Here it starts at 64 KiB and the echo of 16 MiB runs at loopback speed, so the Go
    /// sender of each direction (server for the echo to our client, client for the upload to our server) works with
    /// a window it was told grew, up to our 4 MiB --smuxbuf; every byte must still arrive, in order.
    /// </summary>
    [Theory]
    [InlineData("20210922", true)]
    [InlineData("20210922", false)]
    [InlineData("20260314", true)]
    [InlineData("20260314", false)]
    public async Task A_Go_sender_honours_a_stream_window_that_grows(string generation, bool ourClient)
    {
        var peer = GoPeers.Named(generation);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        string[] go = ["--key", "window", "--mode", "fast3", "--smuxver", "2", .. peer == GoPeers.Latest ? ["--closewait", "0"] : Array.Empty<string>()];
        string[] ours = ["--key", "window", "--mode", "fast3", "--smuxver", "2", "--streambuf", "65536", "--smuxbuf", "4194304"];
        await using var pair = ourClient
            ? await TunnelPair.OurClientAsync(peer, ours, go, timeout.Token)
            : await TunnelPair.OurServerAsync(peer, ours, go, timeout.Token);
        var sent = await pair.TransferAsync(streams: 1, size: 16 << 20, seed: 11, timeout.Token);
        await WaitUntil(() => pair.Target.Received.Count == sent.Length, () => pair.OurLog + pair.GoLog, timeout.Token);
        Assert.Equal(sent.Order(), pair.Target.Received.Order());
    }

    [Theory]
    [InlineData("20210922", true)]
    [InlineData("20210922", false)]
    [InlineData("20260314", true)]
    [InlineData("20260314", false)]
    public async Task Different_keys_carry_nothing(string generation, bool ourClient)
    {
        var peer = GoPeers.Named(generation);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string[] client = ["--key", "one", "--smuxver", "2"];
        string[] server = ["--key", "two", "--smuxver", "2"];
        await using var pair = ourClient
            ? await TunnelPair.OurClientAsync(peer, client, server, timeout.Token)
            : await TunnelPair.OurServerAsync(peer, ["--key", "two"], client, timeout.Token);
        await AssertNothingCrossesAsync(pair, timeout.Token);
        if (!ourClient)
        {
            // Our server can tell: datagrams that fail the checksum are reported (every 5 s at most).
            await WaitUntil(() => pair.OurLog.Contains("different --key or --crypt", StringComparison.Ordinal), () => pair.OurLog, timeout.Token);
        }
    }

    [Fact]
    public async Task Compressed_client_against_our_nocomp_server_is_refused_with_a_reason()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var pair = await TunnelPair.OurServerAsync(["--nocomp"], [], timeout.Token);
        await AssertNothingCrossesAsync(pair, timeout.Token);
        await WaitUntil(() => pair.OurLog.Contains("the client compresses (snappy) but this server runs with --nocomp", StringComparison.Ordinal), () => pair.OurLog, timeout.Token);
    }

    [Fact]
    public async Task Our_uncompressed_client_against_a_compressing_Go_server_carries_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var pair = await TunnelPair.OurClientAsync(["--nocomp", "--smuxver", "2"], ["--smuxver", "2"], timeout.Token);
        await AssertNothingCrossesAsync(pair, timeout.Token);
    }

    // No echo within a few seconds and nothing at the target: the tunnel must not deliver anything.
    internal static async Task AssertNothingCrossesAsync(TunnelPair pair, CancellationToken ct)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, pair.LocalPort), ct);
        await socket.SendAsync("must not arrive"u8.ToArray(), ct);
        var buffer = new byte[64];
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(TimeSpan.FromSeconds(4));
        try
        {
            var n = await socket.ReceiveAsync(buffer, quiet.Token);
            Assert.Equal(0, n); // the tunnel may close the connection, but never echo
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Silence, as expected.
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Reset by the tunnel: also no data.
        }

        Assert.Equal(0, pair.Target.BytesReceived);
    }

    internal static async Task WaitUntil(Func<bool> condition, Func<string> diagnostics, CancellationToken ct)
    {
        while (!condition())
        {
            Assert.False(ct.IsCancellationRequested, "timed out; logs:\n" + diagnostics());
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
