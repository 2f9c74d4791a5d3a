using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Interop.Tests.Support;
using Kcptun.Interop.Tests.Tunnel;

namespace Kcptun.Interop.Tests.FakeTcp;

/// <summary>
/// <c>--tcp</c> end to end, in two network namespaces joined by a veth pair that each test makes and deletes: our
/// programs and the real Go ones (Debian 12's 20210922 both ways, 20260314's server against our client), bytes
/// checked by SHA-256 through an echo target in the server's namespace. After each run our rules must be gone
/// (and they must have been there while it ran); the namespaces must be gone after each test.
/// </summary>
public sealed class FakeTcpInteropTests
{
    private const int ServerPort = 4000;
    private const int LocalPort = 12948;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static string OurServer => ProgramProcess.Locate("Kcptun.Server", "kcptun-server");

    private static string OurClient => ProgramProcess.Locate("Kcptun.Client", "kcptun-client");

    [Theory]
    [InlineData("4", "aes", "2", 10, 3, 2_000_000)]
    [InlineData("6", "salsa20", "1", 0, 0, 1_000_000)]
    [InlineData("4", "none", "2", 10, 3, 500_000)]
    public async Task Ours_to_ours(string family, string crypt, string smux, int data, int parity, int bytes)
    {
        string server = family == "6" ? $"[{NetworkNamespaces.ServerIpv6}]" : NetworkNamespaces.ServerIpv4;
        string[] common = ["--tcp", "--key", "fake-tcp", "--crypt", crypt, "--smuxver", smux, "--datashard", D(data), "--parityshard", D(parity)];
        await RunAsync(OurServer, ourServer: true, OurClient, ourClient: true, common, server, bytes, lossPercent: 0);
    }

    [Theory]
    [InlineData("aes", "1", 10, 3)]
    [InlineData("twofish", "2", 0, 0)]
    [InlineData("salsa20", "2", 4, 2)]
    public Task Our_client_to_Debian_Go_server(string crypt, string smux, int data, int parity) =>
        RunAsync(GoPeers.Debian.Server, ourServer: false, OurClient, ourClient: true,
            ["--tcp", "--key", "interop", "--crypt", crypt, "--smuxver", smux, "--datashard", D(data), "--parityshard", D(parity)],
            NetworkNamespaces.ServerIpv4, 1_000_000, lossPercent: 0);

    [Theory]
    [InlineData("aes", "1", 10, 3)]
    [InlineData("blowfish", "2", 0, 0)]
    [InlineData("xor", "1", 6, 2)]
    public Task Debian_Go_client_to_our_server(string crypt, string smux, int data, int parity) =>
        RunAsync(OurServer, ourServer: true, GoPeers.Debian.Client, ourClient: false,
            ["--tcp", "--key", "interop", "--crypt", crypt, "--smuxver", smux, "--datashard", D(data), "--parityshard", D(parity)],
            NetworkNamespaces.ServerIpv4, 1_000_000, lossPercent: 0);

    [Theory]
    [InlineData("aes-128-gcm", "2")]
    [InlineData("aes", "1")]
    public Task Our_client_to_20260314_Go_server(string crypt, string smux) =>
        RunAsync(GoPeers.Latest.Server, ourServer: false, OurClient, ourClient: true,
            ["--tcp", "--key", "interop", "--crypt", crypt, "--smuxver", smux], NetworkNamespaces.ServerIpv4, 1_000_000, lossPercent: 0);

    [Fact]
    public Task Ours_to_ours_across_a_lossy_path() =>
        RunAsync(OurServer, ourServer: true, OurClient, ourClient: true, ["--tcp", "--key", "lossy", "--mode", "fast2"],
            NetworkNamespaces.ServerIpv4, 1_000_000, lossPercent: 5);

    [Fact]
    public Task Our_client_to_Debian_Go_server_across_a_lossy_path() =>
        RunAsync(GoPeers.Debian.Server, ourServer: false, OurClient, ourClient: true, ["--tcp", "--key", "lossy", "--smuxver", "1", "--mode", "fast2"],
            NetworkNamespaces.ServerIpv4, 1_000_000, lossPercent: 5);

    /// <summary>
    /// The start-up stall of issue 14: with <c>--cc bbr</c> (the default), about one fresh <c>--tcp</c> session in three
    /// to ten sent its first datagrams and then one segment every few seconds (a first delivery sample of a few bytes
    /// acknowledged late, pinned by BbrStartupStallTests). Several fresh client processes in turn, each echoing 2 MB in
    /// fast2 (as the hand runs that found it), each with a deadline far above what a working session needs (under 2 s).
    /// </summary>
    [Fact]
    public async Task Fresh_bbr_sessions_do_not_stall_at_start()
    {
        const int Sessions = 8;
        using var net = NetworkNamespaces.Create();
        using var echo = new NamespaceEcho(net.Server);
        string[] common = ["--tcp", "--key", "stall", "--cc", "bbr", "--mode", "fast2", "--smuxver", "1", "--nocomp"];
        using var server = StartServer(net, OurServer, common);
        await server.WaitForAsync("listening on:", s_timeout);
        for (int i = 0; i < Sessions; i++)
        {
            using var client = StartClient(net, OurClient, NetworkNamespaces.ServerIpv4, common);
            await client.WaitForAsync("listening on:", s_timeout);
            await TransferAsync(net.Client, 2_000_000, server, client, TimeSpan.FromSeconds(10));
            await StopOursAsync(client, net.Client);
        }

        await StopOursAsync(server, net.Server);
    }

    /// <summary>
    /// The Go bug: kcp-go 5.6.64 and later (f788cbb, 20260314) keep a client datagram only when its source address is
    /// a *net.UDPAddr, and tcpraw reports a *net.TCPAddr, so the 20260314 client drops every --tcp packet the server
    /// sends. Its first stream reaches the server (server to client is what breaks), and not one byte comes back:
    /// the same against our server and against its own 20260314 server.
    /// </summary>
    [Theory]
    [InlineData("ours")]
    [InlineData("20260314")]
    public async Task The_20260314_Go_client_receives_nothing_over_tcp(string serverName)
    {
        using var net = NetworkNamespaces.Create();
        using var echo = new NamespaceEcho(net.Server);
        string[] common = ["--tcp", "--key", "bug", "--smuxver", "2"];
        bool ours = serverName == "ours";
        using var server = StartServer(net, ours ? OurServer : GoPeers.Latest.Server, common);
        using var client = StartClient(net, GoPeers.Latest.Client, NetworkNamespaces.ServerIpv4, common);
        await server.WaitForAsync("listening on:", s_timeout);
        await client.WaitForAsync("listening on:", s_timeout);

        using Socket socket = await ConnectAsync(net.Client);
        await socket.SendAsync(RandomNumberGenerator.GetBytes(1000));
        byte[] buffer = new byte[1000];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        int received = 0;
        try
        {
            received = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
        }
        catch (OperationCanceledException)
        {
            // Nothing came back: what this test records.
        }

        Assert.Equal(0, received);
        await server.WaitForAsync("stream opened", s_timeout); // the client's datagrams did reach the server
        if (ours)
        {
            await StopOursAsync(server, net.Server);
        }
    }

    [Fact]
    public async Task A_stale_rule_of_a_killed_run_is_removed_at_start_and_a_killed_run_leaves_its_rule_for_the_next()
    {
        using var net = NetworkNamespaces.Create();
        int dead = DeadPid();
        string stale = "kcptun-dotnet:" + dead.ToString(CultureInfo.InvariantCulture);
        NetworkNamespaces.InNamespace(net.Server, "iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "-m", "ttl", "--ttl-eq", "1",
            "--sport", "4001", "-m", "comment", "--comment", stale, "-j", "DROP");
        Assert.Contains(NetworkNamespaces.OurRules(net.Server), r => r.Contains(stale, StringComparison.Ordinal));

        using (var first = StartServer(net, OurServer, ["--tcp"]))
        {
            await first.WaitForAsync("/tcp", s_timeout);
            List<string> rules = NetworkNamespaces.OurRules(net.Server);
            Assert.DoesNotContain(rules, r => r.Contains(stale, StringComparison.Ordinal));
            Assert.Equal(2, rules.Count); // ours, IPv4 and IPv6
            first.Signal("KILL");
            await first.WaitForExitAsync(s_timeout);
        }

        Assert.Equal(2, NetworkNamespaces.OurRules(net.Server).Count); // SIGKILL: no chance to clean up

        using var second = StartServer(net, OurServer, ["--tcp"]);
        await second.WaitForAsync("/tcp", s_timeout);
        Assert.Equal(2, NetworkNamespaces.OurRules(net.Server).Count); // the killed run's two are gone, ours are there
        await StopOursAsync(second, net.Server);
    }

    /// <summary>
    /// Root without the capabilities (dropped from the bounding set, so the program and the iptables it runs lack
    /// them; the files stay readable wherever the repository is): exit 255 at start, saying what is missing.
    /// </summary>
    [Theory]
    [InlineData("server", "-net_raw,-net_admin", "CAP_NET_ADMIN")]
    [InlineData("client", "-net_raw,-net_admin", "CAP_NET_RAW")]
    [InlineData("client", "-net_admin", "CAP_NET_ADMIN")]
    public async Task Without_the_capabilities_the_programs_exit_with_a_clear_message(string side, string drop, string message)
    {
        using var net = NetworkNamespaces.Create();
        string ns = side == "server" ? net.Server : net.Client;
        string[] program = side == "server"
            ? [OurServer, "-l", ":4000", "-t", "127.0.0.1:9000", "--tcp"]
            : [OurClient, "-l", "127.0.0.1:12948", "-r", "10.99.0.2:4000", "--tcp"];
        using var process = ProgramProcess.Start("ip", NetworkNamespaces.Exec(ns, "setpriv", ["--bounding-set=" + drop, .. program]));
        Assert.Equal(255, await process.WaitForExitAsync(s_timeout));
        Assert.Contains(message, process.Log, StringComparison.Ordinal);
        Assert.Empty(NetworkNamespaces.OurRules(ns));
    }

    private static async Task RunAsync(string serverProgram, bool ourServer, string clientProgram, bool ourClient, string[] common,
        string serverAddress, int bytes, int lossPercent)
    {
        using var net = NetworkNamespaces.Create();
        if (lossPercent > 0)
        {
            // No netem here (sch_netem is not in every kernel): the path drops TCP at random on the way in, both sides.
            string probability = (lossPercent / 100.0).ToString(CultureInfo.InvariantCulture);
            foreach (string ns in new[] { net.Client, net.Server })
            {
                NetworkNamespaces.InNamespace(ns, "iptables", "-w", "-A", "INPUT", "-i", "v" + ns, "-p", "tcp", "-m", "statistic",
                    "--mode", "random", "--probability", probability, "-j", "DROP");
            }
        }

        using var echo = new NamespaceEcho(net.Server);
        using var server = StartServer(net, serverProgram, common);
        await server.WaitForAsync("listening on:", s_timeout);
        using var client = StartClient(net, clientProgram, serverAddress, common);
        await client.WaitForAsync("listening on:", s_timeout);

        await TransferAsync(net.Client, bytes, server, client);
        if (lossPercent > 0)
        {
            foreach (string ns in new[] { net.Client, net.Server })
            {
                Assert.True(DroppedByLossRule(ns) > 0, $"the lossy path dropped nothing in {ns}");
            }
        }

        // Each namespace's kernel checked the TCP checksum of every segment it got (a wrong one counts in
        // InCsumErrors and InErrs; Go's tcpraw does not check, the kernel does), and our segments reached it.
        // InErrs has causes besides checksums on a lossy path (the kernel also counts, for one, a SYN that reaches an
        // established socket, which a handshake repeated after a drop can produce): one appeared in a CI run of
        // 2026-12-03 on the 5% path with no checksum error, so InErrs must stay 0 only where nothing is dropped.
        foreach (string ns in new[] { net.Client, net.Server })
        {
            Dictionary<string, long> tcp = TcpCounters(ns);
            Assert.True(tcp["InCsumErrors"] == 0 && (lossPercent > 0 || tcp["InErrs"] == 0), $"{ns}: {tcp["InCsumErrors"]} checksum errors, {tcp["InErrs"]} errors");
            Assert.True(tcp["InSegs"] > bytes / 1400, $"{ns}: only {tcp["InSegs"]} segments arrived");
        }

        // The rules exist while the programs run (so the checks below can fail)...
        if (ourServer)
        {
            Assert.Equal(2, NetworkNamespaces.OurRules(net.Server).Count);
        }

        if (ourClient)
        {
            Assert.Single(NetworkNamespaces.OurRules(net.Client));
        }

        // ...and are gone after SIGTERM.
        if (ourClient)
        {
            await StopOursAsync(client, net.Client);
        }

        if (ourServer)
        {
            await StopOursAsync(server, net.Server);
        }
    }

    private static ProgramProcess StartServer(NetworkNamespaces net, string program, string[] common) =>
        ProgramProcess.Start("ip", NetworkNamespaces.Exec(net.Server, program,
            ["-l", ":" + D(ServerPort), "-t", "127.0.0.1:" + D(NamespaceEcho.Port), .. common]));

    private static ProgramProcess StartClient(NetworkNamespaces net, string program, string server, string[] common) =>
        ProgramProcess.Start("ip", NetworkNamespaces.Exec(net.Client, program,
            ["-l", "127.0.0.1:" + D(LocalPort), "-r", server + ":" + D(ServerPort), .. common]));

    private static async Task StopOursAsync(ProgramProcess program, string ns)
    {
        program.Signal("TERM");
        Assert.Equal(0, await program.WaitForExitAsync(s_timeout));
        Assert.Empty(NetworkNamespaces.OurRules(ns));
    }

    private static async Task TransferAsync(string clientNs, int bytes, ProgramProcess server, ProgramProcess client, TimeSpan? deadline = null)
    {
        byte[] payload = RandomNumberGenerator.GetBytes(bytes);
        using var timeout = new CancellationTokenSource(deadline ?? s_timeout);
        using Socket socket = await ConnectAsync(clientNs);
        Task<(int Count, byte[] Hash)> receive = Task.Run(async () =>
        {
            byte[] got = new byte[bytes];
            int offset = 0;
            while (offset < bytes)
            {
                int n = await socket.ReceiveAsync(got.AsMemory(offset), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                offset += n;
            }

            return (offset, SHA256.HashData(got.AsSpan(0, offset)));
        });
        await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
        (int count, byte[] hash) result;
        try
        {
            result = await receive;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"echo did not come back in time\nserver:\n{server.Log}\nclient:\n{client.Log}");
            throw;
        }

        Assert.True(result.count == bytes, $"{result.count} of {bytes} bytes came back\nserver:\n{server.Log}\nclient:\n{client.Log}");
        Assert.Equal(SHA256.HashData(payload), result.hash);
    }

    private static async Task<Socket> ConnectAsync(string ns)
    {
        var local = new IPEndPoint(IPAddress.Loopback, LocalPort);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return NetworkNamespaces.Connect(ns, local);
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100); // the client printed its address just before listening
            }
        }
    }

    /// <summary>The Tcp line of /proc/net/snmp in <paramref name="ns"/>, by name.</summary>
    private static Dictionary<string, long> TcpCounters(string ns)
    {
        string[][] lines = [.. NetworkNamespaces.InNamespace(ns, "cat", "/proc/net/snmp").Split('\n')
            .Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        return lines[0].Skip(1).Zip(lines[1].Skip(1)).ToDictionary(p => p.First, p => long.Parse(p.Second, CultureInfo.InvariantCulture));
    }

    /// <summary>Packets the random-loss INPUT rule dropped (<c>iptables -S -v</c> prints <c>-c packets bytes</c>).</summary>
    private static long DroppedByLossRule(string ns)
    {
        string rule = NetworkNamespaces.InNamespace(ns, "iptables", "-w", "-S", "INPUT", "-v")
            .Split('\n').Single(l => l.Contains("statistic", StringComparison.Ordinal));
        string[] words = rule.Split(' ');
        return long.Parse(words[Array.IndexOf(words, "-c") + 1], CultureInfo.InvariantCulture);
    }

    private static int DeadPid()
    {
        for (int pid = 4_000_000; ; pid--)
        {
            if (!Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
            {
                return pid;
            }
        }
    }

    private static string D(int value) => value.ToString(CultureInfo.InvariantCulture);
}
