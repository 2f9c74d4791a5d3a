using System.Text.RegularExpressions;
using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// The flags only the latest Go generation has, against 20260314 in both directions (our client with its server, its
/// client with our server): QPP (docs/protocol/generations.md §11.4), --framesize (smux.md §8.8), --ratelimit
/// (kcp.md §6.14), --closewait (programs.md §10.5) and port ranges (generations.md §11.3). Random data on parallel
/// streams, SHA-256 compared at the target; each case stays small (4 x 48 kB) to keep CI short.
/// </summary>
public class LatestOptionsInteropTests
{
    private const int Ports = 4;

    /// <summary>
    /// Both sides get these flags (on top of a key, and --closewait 0 unless the case sets closewait), except --conn,
    /// which only the client has.
    /// </summary>
    private static readonly Dictionary<string, string[]> s_cases = new(StringComparer.Ordinal)
    {
        ["QPP"] = ["--QPP"],
        ["QPP, 7 pads, smux v1"] = ["--QPP", "--QPPCount", "7", "--smuxver", "1"],
        ["QPP, aes-128-gcm, no FEC, no compression"] = ["--QPP", "--crypt", "aes-128-gcm", "--nocomp", "--ds", "0", "--ps", "0"],
        ["framesize 1024"] = ["--framesize", "1024"],
        ["framesize 65535, compressed"] = ["--framesize", "65535"],
        ["framesize 65535, null, no FEC, no compression"] = ["--framesize", "65535", "--crypt", "null", "--nocomp", "--ds", "0", "--ps", "0"],
        ["ratelimit 256 kB/s"] = ["--ratelimit", "262144"],
        ["closewait 1"] = ["--closewait", "1"],
        ["port range, conn 8"] = ["--conn", "8"],
    };

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in s_cases.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Data_crosses_intact(string option, bool ourClient)
    {
        var peer = GoPeers.Latest;
        Assert.True(peer.Available, $"the Go kcptun {peer} binaries are not in {peer.BinaryFolder} (bash .ci/go-peers)");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var flags = s_cases[option];
        var ports = option.StartsWith("port range", StringComparison.Ordinal) ? Ports : 1;
        var conn = flags.Contains("--conn") ? flags[Array.IndexOf(flags, "--conn") + 1] : null;
        string[] common =
        [
            "--key", "latest options",
            .. flags.Contains("--closewait") ? Array.Empty<string>() : ["--closewait", "0"],
            .. flags.Where((_, i) => flags[i] != "--conn" && (i == 0 || flags[i - 1] != "--conn")),
        ];
        string[] clientArgs = [.. common, .. conn is null ? Array.Empty<string>() : ["--conn", conn]];

        await using var pair = ourClient
            ? await TunnelPair.OurClientAsync(peer, ports, clientArgs, common, timeout.Token)
            : await TunnelPair.OurServerAsync(peer, ports, common, clientArgs, timeout.Token);
        var streams = conn is null ? 4 : int.Parse(conn, System.Globalization.CultureInfo.InvariantCulture);
        var sent = await pair.TransferAsync(streams, size: 48 * 1024, seed: option.Length, timeout.Token);
        await TunnelInteropTests.WaitUntil(() => pair.Target.Received.Count == sent.Length, () => pair.OurLog + pair.GoLog, timeout.Token);
        Assert.Equal(sent.Order(), pair.Target.Received.Order());

        if (ports > 1)
        {
            // Each client session picks its server port at random within the range: with 8 sessions on 4 ports, more
            // than one port is used unless the draws all agree (probability 4^-7).
            var clientLog = ourClient ? pair.OurLog : pair.GoLog;
            var used = Regex.Matches(clientLog, @"on connection: \S+ -> 127\.0\.0\.1:(\d+)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            Assert.True(used.Count > 1, $"every session went to one port ({string.Join(",", used)}):\n{clientLog}");
            Assert.Equal(Ports, Regex.Count(ourClient ? pair.GoLog : pair.OurLog, @"Listening on: 127\.0\.0\.1:\d+/udp"));
        }

        if (flags.Contains("--QPP"))
        {
            // Both programs say so at start-up (the 20260314 server too).
            Assert.Contains("QPP: true", pair.GoLog, StringComparison.Ordinal);
            Assert.Contains("QPP: true", pair.OurLog, StringComparison.Ordinal);
        }
    }
}
